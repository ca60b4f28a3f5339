// A Bolt for JavaScript hello-world slash command: the reference okrbot's
// command latency and throughput are compared with (docs/benchmarks.md).
// Run: npm ci && SLACK_SIGNING_SECRET=... PORT=3901 node app.js
const { App, LogLevel } = require('@slack/bolt');

const app = new App({
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  // A fixed authorization: Bolt would otherwise call Slack's auth.test on
  // the first request, which a benchmark on loopback cannot reach.
  authorize: async () => ({ botToken: 'xoxb-bench', botId: 'B0BENCH', botUserId: 'U0BENCHBOT' }),
  logLevel: (process.env.BOLT_LOG || LogLevel.ERROR),
});

app.command('/okr', async ({ ack }) => {
  await ack('Hello world');
});

(async () => {
  const port = Number(process.env.PORT || 3901);
  await app.start(port);
  console.log('bolt listening on ' + port);
})();
