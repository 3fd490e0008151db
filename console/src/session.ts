/**
 * The signed-in user's IBSSO token. It lives in sessionStorage (one tab, gone when the tab closes)
 * and travels only in the Authorization header: no cookie, so no CSRF surface.
 */
const KEY = 'hookline.ibsso';

export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  save: (token: string): void => sessionStorage.setItem(KEY, token),
  clear: (): void => sessionStorage.removeItem(KEY),
};
