// Real Node.js clients using scripts the way applications do (run by test_script_node_clients.py
// with the port as argument): ioredis defineCommand (EVALSHA with the EVAL fallback after a
// SCRIPT FLUSH, in pipelines too) and node-redis v4 defineScript and functions. Prints one JSON
// object of results; exits non-zero on an exception.
const Redis = require('ioredis');
const { createClient, defineScript } = require('redis');

const port = Number(process.argv[2]);
const out = {};

async function ioredisPart() {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await r.connect();
  r.defineCommand('transfer', {
    numberOfKeys: 2,
    lua: `local from = tonumber(redis.call('GET', KEYS[1]) or '0')
          local amount = tonumber(ARGV[1])
          if from < amount then return 0 end
          redis.call('DECRBY', KEYS[1], amount)
          redis.call('INCRBY', KEYS[2], amount)
          return 1`,
  });
  await r.set('io:a', 100);
  await r.set('io:b', 0);
  out.io_first = await r.transfer('io:a', 'io:b', 30);
  await r.script('FLUSH');  // the next call gets NOSCRIPT and falls back to EVAL
  out.io_after_flush = await r.transfer('io:a', 'io:b', 30);
  out.io_refused = await r.transfer('io:a', 'io:b', 500);
  const p = r.pipeline();
  for (let i = 0; i < 5; i++) p.transfer('io:a', 'io:b', 1);
  p.get('io:a');
  const res = await p.exec();
  out.io_pipeline = res.map(([err, v]) => (err ? String(err) : v));
  out.io_eval = await r.eval("return {KEYS[1], ARGV[1], redis.call('GET', KEYS[1])}", 1, 'io:b', 'x');
  await r.set('io:s', 'abc');
  try {
    await r.eval("return redis.call('INCR', 'io:s')", 0);
  } catch (e) { out.io_error = String(e.message); }
  await r.quit();
}

async function nodeRedisPart() {
  const c = createClient({
    url: `redis://127.0.0.1:${port}`,
    scripts: {
      addTwice: defineScript({
        NUMBER_OF_KEYS: 1,
        SCRIPT: "redis.call('INCRBY', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[1], ARGV[1])",
        transformArguments(key, n) { return [key, n.toString()]; },
        transformReply(reply) { return reply; },
      }),
    },
  });
  await c.connect();
  await c.del('nr:k');
  out.nr_script = await c.addTwice('nr:k', 5);
  await c.sendCommand(['SCRIPT', 'FLUSH']);
  out.nr_after_flush = await c.addTwice('nr:k', 1);
  await c.sendCommand(['FUNCTION', 'FLUSH']);
  out.nr_function_load = await c.sendCommand(['FUNCTION', 'LOAD',
    "#!lua name=nrlib\nredis.register_function('nr_double', function(keys, args) " +
    "return redis.call('INCRBY', keys[1], redis.call('GET', keys[1])) end)"]);
  out.nr_fcall = await c.sendCommand(['FCALL', 'nr_double', '1', 'nr:k']);
  const multi = await c.multi().addTwice('nr:k', 1).get('nr:k').exec();
  out.nr_multi = multi;
  await c.sendCommand(['FUNCTION', 'FLUSH']);
  await c.quit();
}

(async () => {
  await ioredisPart();
  await nodeRedisPart();
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
