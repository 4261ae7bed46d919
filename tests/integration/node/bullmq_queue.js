// BullMQ against the server: a queue of jobs processed by a worker, a delayed job, a job that
// fails once and succeeds on its retry, and the queue's event stream (XADD/XREAD on a Redis
// stream). Prints one JSON line of results; exits non-zero on failure or timeout.
// Usage: node bullmq_queue.js <port>
const { Queue, Worker, QueueEvents } = require('bullmq');

const port = Number(process.argv[2]);
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };

async function main() {
  const name = 'strata-bullmq-' + process.pid;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  const completedEvents = [];
  events.on('completed', ({ jobId }) => completedEvents.push(jobId));

  const attempts = {};
  const worker = new Worker(name, async (job) => {
    attempts[job.name] = (attempts[job.name] || 0) + 1;
    if (job.name === 'flaky' && attempts[job.name] === 1) throw new Error('first try fails');
    return { sum: job.data.a + job.data.b, name: job.name };
  }, { connection, concurrency: 2 });

  const added = Date.now();
  const jobs = [];
  for (let i = 0; i < 10; i++) jobs.push(await queue.add('add', { a: i, b: 100 }));
  const delayed = await queue.add('later', { a: 1, b: 2 }, { delay: 700 });
  const flaky = await queue.add('flaky', { a: 5, b: 5 }, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });

  const results = await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 20000)));
  const delayedResult = await delayed.waitUntilFinished(events, 20000);
  const delayedAfterMs = Date.now() - added;
  const flakyResult = await flaky.waitUntilFinished(events, 20000);
  const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
  const flakyJob = await queue.getJob(flaky.id);

  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  console.log(JSON.stringify({
    sums: results.map((r) => r.sum),
    delayed: delayedResult.sum,
    delayedAfterMs,
    flaky: flakyResult.sum,
    flakyAttempts: flakyJob ? flakyJob.attemptsMade : null,
    attempts,
    counts,
    completedEvents: completedEvents.length,
  }));
}

const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 60000);
main().then(() => { clearTimeout(timer); process.exit(0); })
  .catch((e) => { console.error(e && e.stack || e); process.exit(1); });
