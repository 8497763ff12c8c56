// Exit 0 when the NATS server at argv[2] answers and has JetStream enabled.
const { connect } = require('@nats-io/transport-node');
const { jetstreamManager } = require('@nats-io/jetstream');

(async () => {
  const nc = await connect({ servers: process.argv[2], timeout: 2000, reconnect: false });
  try {
    await (await jetstreamManager(nc, { timeout: 2000 })).getAccountInfo();
  } finally {
    await nc.close();
  }
})().then(
  () => process.exit(0),
  (err) => {
    console.error(String(err));
    process.exit(1);
  },
);
