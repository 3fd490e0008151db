/**
 * The webhook receiver, run as a child process (bench/receiver-client.ts starts it) so it never
 * shares an event loop with the dispatcher. A minimal node:http server: answers every POST with
 * 200 and counts the reports in it. In `track` mode it also notes, per messageId, when the
 * report arrived (epoch ms with sub-ms precision), for the latency scenario.
 *
 * Beside it, a black hole for the isolation scenario (h): a plain TCP server that accepts every
 * connection, reads and discards what arrives, and never writes a byte — a receiver that
 * "accepts connections, never answers". Only the client's own timeout ends such a request. It
 * counts the connections it accepted (the sender does not pipeline, so one per request).
 *
 * IPC protocol (parent → child): reset {track}, expect {n}, stats, arrivals, stop.
 * Child → parent: ready {port, blackHolePort}, reset-ok, reached {count, requests, firstAt, at},
 * stats {count, requests, firstAt, blackHoleConnections, blackHoleOpen}, arrivals.
 */
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

const now = () => performance.timeOrigin + performance.now();
const MESSAGE_ID = '"messageId":"';

let count = 0;
let requests = 0;
let firstAt = 0;
let track = false;
let arrivalIds: string[] = [];
let arrivalTimes: number[] = [];
let expected = Infinity;

function send(message: object): void {
  process.send!(message);
}

function checkReached(at: number): void {
  if (count >= expected) {
    expected = Infinity;
    send({ type: 'reached', count, requests, firstAt, at });
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    const body = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
    let reports = 0;
    for (let i = body.indexOf(MESSAGE_ID); i !== -1; i = body.indexOf(MESSAGE_ID, i + MESSAGE_ID.length)) {
      reports++;
      if (track) {
        const start = i + MESSAGE_ID.length;
        arrivalIds.push(body.slice(start, body.indexOf('"', start)));
        arrivalTimes.push(at);
      }
    }
    if (requests === 0) firstAt = at;
    requests++;
    count += reports;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('OK');
    checkReached(at);
  });
});
server.keepAliveTimeout = 10_000;

let blackHoleConnections = 0;
const blackHoleSockets = new Set<Socket>();
const blackHole = createTcpServer((socket) => {
  blackHoleConnections++;
  blackHoleSockets.add(socket);
  socket.on('data', () => {}); // read and discard, so the client's writes never block
  socket.on('error', () => {}); // the client gives up by resetting or closing; either is expected
  socket.on('close', () => blackHoleSockets.delete(socket));
});

process.on('message', (message: { type: string; track?: boolean; n?: number }) => {
  switch (message.type) {
    case 'reset':
      count = 0;
      requests = 0;
      firstAt = 0;
      blackHoleConnections = 0;
      track = message.track === true;
      arrivalIds = [];
      arrivalTimes = [];
      expected = Infinity;
      send({ type: 'reset-ok' });
      break;
    case 'expect':
      expected = message.n!;
      checkReached(now());
      break;
    case 'stats':
      send({ type: 'stats', count, requests, firstAt, blackHoleConnections, blackHoleOpen: blackHoleSockets.size });
      break;
    case 'arrivals':
      send({ type: 'arrivals', ids: arrivalIds, times: arrivalTimes });
      break;
    case 'cpu':
      send({ type: 'cpu', cpu: process.cpuUsage() });
      break;
    case 'stop':
      for (const socket of blackHoleSockets) socket.destroy();
      blackHole.close();
      server.closeAllConnections();
      server.close(() => process.exit(0));
      break;
  }
});
process.on('disconnect', () => process.exit(0));

const listening = (s: NetServer) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
const [port, blackHolePort] = await Promise.all([listening(server), listening(blackHole)]);
send({ type: 'ready', port, blackHolePort });
