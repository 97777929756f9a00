/**
 * A WebSocket server that accepts every connection and never answers, so a
 * Baileys socket pointed at it stays in 'connecting'. It runs in its own
 * process so its memory is not counted as the client's. IPC: it sends
 * { port } once listening, and { connections } when asked 'count'.
 */
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
let connections = 0;
server.on('connection', (socket) => {
  connections += 1;
  socket.on('close', () => {
    connections -= 1;
  });
  socket.on('error', () => undefined);
});
server.on('listening', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    process.send?.({ port: address.port });
});
process.on('message', (message) => {
  if (message === 'count') process.send?.({ connections });
});
process.on('disconnect', () => {
  server.close();
  process.exit(0);
});
