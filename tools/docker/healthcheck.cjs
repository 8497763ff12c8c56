// Container health check (docker-compose.yml `healthcheck:`), run as plain `node` inside the image:
//   node tools/docker/healthcheck.cjs 127.0.0.1:50054                        gRPC grpc.health.v1 Check
//   node tools/docker/healthcheck.cjs http://127.0.0.1:8080/-/readiness      HTTP GET answers 2xx
// Exit 0 when healthy, 1 otherwise (the reason on stderr, which `docker inspect` shows).
//
// Plain CommonJS, no tsx: it runs every few seconds in every container, so it loads only
// @grpc/grpc-js (a production dependency the image has) and encodes the two tiny health messages
// by hand instead of loading @geo/proto. HealthCheckRequest{service: ""} is the empty message;
// HealthCheckResponse is field 1 (`status`, varint), SERVING = 1 (grpc/health/v1/health.proto).
'use strict';

const TIMEOUT_MS = 2000;
const SERVING = 1;

function fail(message) {
  process.stderr.write(`unhealthy: ${message}\n`);
  process.exit(1);
}

/** The `status` field of an encoded HealthCheckResponse; 0 (UNKNOWN) when absent. */
function servingStatus(buffer) {
  let i = 0;
  while (i < buffer.length) {
    const tag = buffer[i++];
    if (tag === 0x08) {
      // Field 1, varint. Status values are < 128, so one byte, but read the varint properly.
      let value = 0;
      let shift = 0;
      while (i < buffer.length) {
        const byte = buffer[i++];
        value |= (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) return value;
        shift += 7;
      }
      return 0;
    }
    return 0; // No other field exists in health.proto v1.
  }
  return 0;
}

function checkGrpc(address) {
  const { Client, credentials } = require('@grpc/grpc-js');
  const client = new Client(address, credentials.createInsecure());
  client.makeUnaryRequest(
    '/grpc.health.v1.Health/Check',
    () => Buffer.alloc(0),
    (bytes) => bytes,
    {},
    { deadline: Date.now() + TIMEOUT_MS },
    (error, response) => {
      client.close();
      if (error) return fail(`${address}: ${error.message}`);
      const status = servingStatus(response);
      if (status !== SERVING) return fail(`${address}: status ${status}, not SERVING`);
      process.exit(0);
    },
  );
}

function checkHttp(url) {
  fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
    (res) => (res.ok ? process.exit(0) : fail(`${url}: HTTP ${res.status}`)),
    (error) => fail(`${url}: ${error instanceof Error ? error.message : String(error)}`),
  );
}

const target = process.argv[2];
if (target === undefined || process.argv.length > 3) fail('usage: node tools/docker/healthcheck.cjs host:port | http://host:port/path');
else if (/^https?:\/\//.test(target)) checkHttp(target);
else checkGrpc(target);
