/**
 * The official Infobip SDK against Hookline: what each of its HTTP exchanges was (recorded from the
 * SDK's own axios instance, so a test sees exactly what the SDK sent) and its answers checked. The
 * SDK resolves a failed call with the error instead of throwing, hence `sdkOk`.
 */
import assert from 'node:assert/strict';

export interface SdkExchange {
  method: string;
  url: string;
  status: number | undefined;
  /** The JSON body sent, parsed (undefined for none or a multipart body). */
  body: unknown;
  contentType: string;
}

/** Records every exchange of an SDK channel's axios instance (`infobip.channels.<name>.http.axios`). */
export function recordExchanges(axios: any): SdkExchange[] {
  const exchanges: SdkExchange[] = [];
  const record = (config: any, status: number | undefined) => {
    const contentType = String(config.headers?.['Content-Type'] ?? config.headers?.['content-type'] ?? '');
    const body = typeof config.data === 'string' && !contentType.includes('multipart') ? JSON.parse(config.data) : undefined;
    exchanges.push({ method: String(config.method).toUpperCase(), url: axios.getUri(config), status, body, contentType });
  };
  axios.interceptors.response.use(
    (response: any) => (record(response.config, response.status), response),
    (error: any) => (record(error.config, error.response?.status), Promise.reject(error)),
  );
  return exchanges;
}

/** The SDK call's answer body, after checking it succeeded with `status`. */
export function sdkOk(response: any, what: string, status = 200): any {
  if (response instanceof Error || response?.status !== status) {
    assert.fail(`${what} failed: ${response?.message ?? ''} → ${response?.response?.status ?? response?.status} ${JSON.stringify(response?.response?.data ?? response?.data)}`);
  }
  return response.data;
}
