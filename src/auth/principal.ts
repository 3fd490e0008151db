/** Who is calling: the account every row they touch belongs to, and what they may do. */
export interface Principal {
  accountId: string;
  /** The credential that authenticated the request (an API key id for now). */
  credentialId: string;
  scopes: ReadonlySet<string>;
}

export const DEFAULT_ACCOUNT_ID = 'default';
/** The bootstrap key holds every scope; finer scopes arrive with users and roles. */
export const ALL_SCOPES = '*';
