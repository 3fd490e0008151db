/**
 * The parts of the `smpp` package (0.5.x, CommonJS, untyped) that Hookline and its tests use.
 * A PDU carries its mandatory parameters and TLVs as plain properties, named as in SMPP 3.4.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  export class PDU {
    constructor(command: string, options?: Record<string, unknown>);
    constructor(buffer: Buffer);
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [parameter: string]: any;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): Pdu;
    toBuffer(): Buffer;
    static maxLength: number;
  }

  export type Pdu = PDU;

  export type ResponseCallback = (pdu: Pdu) => void;

  export class Session extends EventEmitter {
    constructor(options: Record<string, unknown>);
    socket: Socket;
    send(pdu: Pdu, onResponse?: ResponseCallback, onSent?: ResponseCallback): boolean;
    pause(): void;
    resume(): void;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    [command: string]: any;
  }

  export interface Server extends NetServer {
    sessions: Session[];
  }

  export function connect(options: Record<string, unknown>, listener?: () => void): Session;
  export function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
  export function createServer(listener?: (session: Session) => void): Server;

  export const errors: Record<string, number>;
  export const consts: Record<string, any>;
  export const encodings: Record<string, { match(value: string): boolean; encode(value: string): Buffer; decode(value: Buffer): string }>;
  export const ESME_ROK: number;
  export const ESME_RTHROTTLED: number;
  export const ESME_RMSGQFUL: number;
  const smpp: {
    PDU: typeof PDU;
    Session: typeof Session;
    connect: typeof connect;
    createServer: typeof createServer;
    errors: Record<string, number>;
    consts: Record<string, any>;
    encodings: typeof encodings;
    [name: string]: any;
  };
  export default smpp;
}
