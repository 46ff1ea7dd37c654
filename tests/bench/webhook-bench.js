// Webhook latency driver for webhook-bench.sh: runs `syncdesk-cli watch --events`, and per round
// edits one record on json-server, sends a signed Standard Webhooks delivery naming it and
// times, on receipt of the watch's stdout, the line reporting that record pending. Prints one
// latency (ms) per round on stdout, measured from the moment the delivery's request was sent
// (an upper bound of the receiver's receipt).
//   node webhook-bench.js CLI WORKSPACE API_URL HOOK_URL SECRET_KEY_BASE64 ROUNDS RECORDS
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const http = require('http');

const [cli, ws, apiUrl, hookUrl, keyB64, roundsArg, recordsArg] = process.argv.slice(2);
const rounds = Number(roundsArg), records = Number(recordsArg);
const key = Buffer.from(keyB64, 'base64');

function request(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body || ''), ...headers } },
      res => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body || '');
  });
}

const env = { ...process.env, BENCH_HOOK_SECRET: 'whsec_' + keyB64 };
const watch = spawn(cli, ['watch', '--workspace', ws, '--events'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let buffered = '';
const waiters = [];
let ready = null;
watch.stdout.on('data', chunk => {
  const at = performance.now();
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (line.includes('"event":"ready"') && ready) ready();
    for (let i = waiters.length - 1; i >= 0; --i)
      if (line.includes(waiters[i].needle)) { waiters[i].resolve(at); waiters.splice(i, 1); }
  }
});
const lineWith = (needle, ms) => new Promise((resolve, reject) => {
  const w = { needle, resolve };
  waiters.push(w);
  setTimeout(() => { const i = waiters.indexOf(w); if (i >= 0) { waiters.splice(i, 1); reject(new Error('timeout: ' + needle)); } }, ms);
});

(async () => {
  await new Promise(r => { ready = r; });
  for (let round = 0; round < rounds; ++round) {
    const id = 1 + round; // a record of its own: each round is a fresh change
    await request('PATCH', `${apiUrl}/items/${id}`, JSON.stringify({ name: `edit ${round}` }));
    const body = JSON.stringify({ type: 'item.updated', data: { id } });
    const msgId = `bench_${process.pid}_${round}`;
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = crypto.createHmac('sha256', key).update(`${msgId}.${ts}.${body}`).digest('base64');
    const seen = lineWith(`"key":[${id}],"status":"pending"`, 10000);
    const sent = performance.now();
    const status = await request('POST', hookUrl, body,
      { 'webhook-id': msgId, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` });
    if (status !== 204) throw new Error(`delivery answered ${status}`);
    console.log((await seen - sent).toFixed(2));
  }
  watch.kill('SIGTERM');
})().catch(e => { console.error('webhook-bench: ' + e.message); watch.kill('SIGKILL'); process.exit(1); });
