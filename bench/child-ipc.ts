/** Request and answer over a forked child's IPC channel: the receiver and SMSC children speak this way. */
import type { ChildProcess } from 'node:child_process';

/** Sends `message` and resolves with the first message of type `reply`; rejects after `timeoutMs`. */
export function askChild<T>(child: ChildProcess, name: string, message: object, reply: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`${name} did not answer ${reply} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: { type: string }) => {
      if (m.type !== reply) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}
