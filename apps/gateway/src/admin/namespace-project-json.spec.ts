import { namespaceJson, projectJson } from './namespace-project-json';

describe('namespaceJson', () => {
  it('renders a subgroup with its parent', () => {
    expect(namespaceJson({ id: 2, name: 'Platform', path: 'platform', parentId: 1, fullPath: 'acme/platform' })).toEqual({
      id: 2,
      name: 'Platform',
      path: 'platform',
      kind: 'group',
      full_path: 'acme/platform',
      parent_id: 1,
    });
  });

  it('renders a top-level group with parent_id null', () => {
    expect(namespaceJson({ id: 1, name: 'Acme', path: 'acme', parentId: undefined, fullPath: 'acme' }).parent_id).toBeNull();
  });
});

describe('projectJson', () => {
  it('renders GitLab field names', () => {
    expect(projectJson({ id: 7, name: 'Lib', path: 'lib', namespaceId: 2, pathWithNamespace: 'acme/platform/lib', repositoryStorage: 'default' })).toEqual({
      id: 7,
      name: 'Lib',
      path: 'lib',
      path_with_namespace: 'acme/platform/lib',
      namespace_id: 2,
      repository_storage: 'default',
    });
  });
});
