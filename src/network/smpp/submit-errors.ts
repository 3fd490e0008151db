/**
 * What a submit_sm_resp's command_status means for the part: sent, to be retried later (the SMSC
 * is busy), or refused for good (a REJECTED / UNDELIVERABLE report with a mapped error).
 */
import { ERROR, STATUS } from '../../messaging/status-catalogue.ts';

/** SMPP 3.4 §5.1.3 command_status values Hookline treats specially. */
export const COMMAND_STATUS = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVBNDSTS: 0x04,
  ESME_RSYSERR: 0x08,
  ESME_RINVSRCADR: 0x0a,
  ESME_RINVDSTADR: 0x0b,
  ESME_RMSGQFUL: 0x14,
  ESME_RINVESMCLASS: 0x43,
  ESME_RTHROTTLED: 0x58,
  ESME_RX_T_APPN: 0x64,
} as const;

export type SubmitVerdict =
  | { kind: 'accepted' }
  /** Busy: back off and send the same part again. */
  | { kind: 'retry' }
  /** The bind is not in a state to submit: reconnect, then send again. */
  | { kind: 'rebind' }
  | { kind: 'rejected'; statusId: number; errorId: number };

/** Permanent refusals whose cause Infobip has a status for; the rest are UNDELIVERABLE_NOT_SENT. */
const REJECTIONS: Record<number, number> = {
  [COMMAND_STATUS.ESME_RINVMSGLEN]: STATUS.REJECTED_MESSAGE_TOO_LONG,
  [COMMAND_STATUS.ESME_RINVSRCADR]: STATUS.REJECTED_SOURCE,
  [COMMAND_STATUS.ESME_RINVDSTADR]: STATUS.REJECTED_DESTINATION,
  [COMMAND_STATUS.ESME_RSYSERR]: STATUS.REJECTED_SYSTEM_ERROR,
};

export function submitVerdict(commandStatus: number): SubmitVerdict {
  switch (commandStatus) {
    case COMMAND_STATUS.ESME_ROK:
      return { kind: 'accepted' };
    case COMMAND_STATUS.ESME_RTHROTTLED:
    case COMMAND_STATUS.ESME_RMSGQFUL:
    case COMMAND_STATUS.ESME_RX_T_APPN:
      return { kind: 'retry' };
    case COMMAND_STATUS.ESME_RINVBNDSTS:
      return { kind: 'rebind' };
    default:
      return { kind: 'rejected', statusId: REJECTIONS[commandStatus] ?? STATUS.UNDELIVERABLE_NOT_SENT, errorId: ERROR.EC_NOTSUBMITTEDTOSMPPCHANNEL };
  }
}
