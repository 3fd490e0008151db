/**
 * SMPP connections and the routing table, as an operator writes them (SMPP_CONFIG_FILE, JSON) or
 * sets them through the admin API (/hookline/1/smpp/…). Validated once, in one place
 * (parseSmppConnection, parseSmppRoutes); everything downstream reads these types.
 */

/** transceiver: one socket both submits and receives; transmitter+receiver: a pair of sockets per bind. */
export type BindMode = 'transceiver' | 'transmitter+receiver';
/** How a long message is split: a UDH concatenation header in the text, or the SAR TLVs. */
export type LongMessageMode = 'udh' | 'sar';
/** What to do with submits the SMSC never acknowledged when a bind drops. */
export type DeliveryGuarantee = 'at-least-once' | 'at-most-once';
/** How the SMSC writes its message ids: compared by their numeric value when hex or decimal. */
export type MessageIdFormat = 'string' | 'hex' | 'decimal';
/** auto: GSM-7 when every character is in the GSM 03.38 alphabet, else UCS-2. */
export type DataCoding = 'auto' | 'gsm7' | 'latin1' | 'ucs2';

export interface AddressTonNpi {
  ton: number;
  npi: number;
}

export interface SmppConnectionConfig {
  /** Unique; the routing table refers to it. Not `simulator`. */
  name: string;
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType: string;
  bindMode: BindMode;
  /** Binds (sessions) opened at once; a transmitter+receiver bind is two sockets. */
  binds: number;
  /** Most submit_sm awaiting their submit_sm_resp, per bind. */
  window: number;
  /** submit_sm per second over the whole connection; 0: unlimited. */
  throughput: number;
  /** Source address: TON/NPI by the sender's form unless fixed here; `defaultSender` when a message has none. */
  source: { ton: number | null; npi: number | null; defaultSender: string };
  destination: AddressTonNpi;
  dataCoding: DataCoding;
  longMessages: LongMessageMode;
  delivery: DeliveryGuarantee;
  messageIds: { response: MessageIdFormat; receipt: MessageIdFormat };
  enquireLinkMs: number;
  /** Reconnect backoff: doubles from min to max after each failed connect or bind, or a bind lost within 30 s; starts over after a bind that lasted. */
  reconnect: { minMs: number; maxMs: number };
  /** Backoff after ESME_RTHROTTLED / ESME_RMSGQFUL: doubles from min to max while the SMSC keeps refusing. */
  throttleBackoff: { minMs: number; maxMs: number };
  /** How long to wait for a submit_sm_resp before treating the bind as broken. */
  responseTimeoutMs: number;
}

/** A routing table entry: destinations starting with `prefix` (digits; '' matches all) go to `target`. */
export interface SmppRoute {
  prefix: string;
  /** A connection name, or SIMULATOR_TARGET. */
  target: string;
}

export const SIMULATOR_TARGET = 'simulator';

export interface SmppConfig {
  connections: SmppConnectionConfig[];
  routes: SmppRoute[];
}

export const EMPTY_SMPP_CONFIG: SmppConfig = Object.freeze({ connections: [], routes: [] }) as SmppConfig;

/** What GET /hookline/1/smpp/status shows of a connection, live from the process that runs it. */
export interface SmppConnectionStatus {
  name: string;
  binds: Array<{ index: number; state: 'connecting' | 'bound' | 'backoff' | 'closed'; inFlight: number }>;
  /** Parts waiting for a window slot or a bind. */
  queued: number;
  counters: {
    submitted: number;
    acknowledged: number;
    rejected: number;
    throttled: number;
    /** Parts sent again after a disconnect or restart: the SMSC may have them twice (at-least-once). */
    resubmitted: number;
    /** Parts not sent again after a disconnect (at-most-once). */
    abandoned: number;
    receipts: number;
    inbound: number;
    /** Bound sessions lost (each is then reconnected). */
    reconnects: number;
  };
}
