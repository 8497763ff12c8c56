import type { Namespace, Project } from '@geo/proto';

/** GitLab's namespace entity (the fields this system has). */
export interface NamespaceJson {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  readonly kind: 'group';
  readonly full_path: string;
  readonly parent_id: number | null;
}

/** GitLab's project entity (the fields this system has). */
export interface ProjectJson {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  readonly path_with_namespace: string;
  readonly namespace_id: number;
  readonly repository_storage: string;
}

export function namespaceJson(namespace: Namespace): NamespaceJson {
  return {
    id: namespace.id,
    name: namespace.name,
    path: namespace.path,
    kind: 'group',
    full_path: namespace.fullPath,
    parent_id: namespace.parentId ?? null,
  };
}

export function projectJson(project: Project): ProjectJson {
  return {
    id: project.id,
    name: project.name,
    path: project.path,
    path_with_namespace: project.pathWithNamespace,
    namespace_id: project.namespaceId,
    repository_storage: project.repositoryStorage,
  };
}
