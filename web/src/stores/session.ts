// The signed-in session: the bearer token, when it expires, and who the user is (/api/auth/me).
// Kept in localStorage so a reload stays signed in; ends by itself when the token expires.
import { defineStore } from "pinia";
import { ApiError, networkError, toApiError } from "../api/problem";

export type Role = "office_admin" | "office_leader" | "office_staff" | "lead_unit" | "unit" | "viewer"
  | "hotline_platform";

/** The reform office's roles: each sees and does everything office staff can. */
export const OFFICE_ROLES: readonly Role[] = ["office_admin", "office_leader", "office_staff"];
/** Who may sign off (签发) an official document: the office's administrator and its leaders. */
export const SIGNING_ROLES: readonly Role[] = ["office_admin", "office_leader"];

export interface Me {
  username: string;
  display_name: string;
  role: Role;
  unit_code: string | null;
  unit_name: string | null;
}

export interface Token {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export const ROLE_LABELS: Record<string, string> = {
  office_admin: "改革办管理员",
  office_leader: "改革办领导",
  office_staff: "改革办工作人员",
  lead_unit: "牵头单位",
  unit: "责任单位",
  viewer: "只读",
  hotline_platform: "热线平台接口",
};

export const STORAGE_KEY = "reform.session";

interface Stored {
  token: string;
  expiresAt: number;
  me: Me | null;
}

function load(): Stored | null {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Stored | null;
    return stored && typeof stored.token === "string" && stored.expiresAt > Date.now() ? stored : null;
  } catch {
    return null;
  }
}

// setTimeout takes at most 2^31-1 ms (about 24.8 days); a longer wait is re-armed when it fires.
const MAX_DELAY = 2_147_483_647;
let expiryTimer: ReturnType<typeof setTimeout> | undefined;
let expiredHandler: (() => void) | null = null;

/** What to do when the session ends by itself (expiry, a 401, a logout in another tab). */
export function onSessionExpired(handler: () => void): void {
  expiredHandler = handler;
}

async function fetchMe(token: string): Promise<Me> {
  let response: Response;
  try {
    response = await fetch("/api/auth/me", {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json, application/problem+json" },
    });
  } catch {
    throw networkError();
  }
  if (!response.ok) throw await toApiError(response);
  return (await response.json()) as Me;
}

export const useSession = defineStore("session", {
  state: () => {
    const stored = load();
    return { token: stored?.token ?? "", expiresAt: stored?.expiresAt ?? 0, me: stored?.me ?? null };
  },
  getters: {
    isOffice: (state) => !!state.me && OFFICE_ROLES.includes(state.me.role),
    /** May sign off (签发) a reviewed report: allocates its 文号 and publishes it. */
    canSignOff: (state) => !!state.me && SIGNING_ROLES.includes(state.me.role),
    isAdmin: (state) => state.me?.role === "office_admin",
    /** A unit's liaison (责任单位 or 牵头单位): the one with a to-do list (待办). */
    isUnit: (state) => state.me?.role === "unit" || state.me?.role === "lead_unit",
    roleLabel: (state) => ROLE_LABELS[state.me?.role ?? ""] ?? "",
  },
  actions: {
    /** Signed in with a token that has not expired (reads the clock each time, unlike a getter). */
    isActive(): boolean {
      return Boolean(this.token) && this.expiresAt > Date.now();
    },
    async login(username: string, password: string): Promise<void> {
      let response: Response;
      try {
        response = await fetch("/api/auth/token", {
          method: "POST",
          headers: { Accept: "application/json, application/problem+json" },
          body: new URLSearchParams({ username, password }), // application/x-www-form-urlencoded
        });
      } catch {
        throw networkError();
      }
      if (!response.ok) throw await toApiError(response);
      const token = (await response.json()) as Token;
      if (!token.access_token) throw new ApiError(500, {
        type: "about:blank", title: "登录失败", status: 500, detail: "认证服务未返回令牌", code: "no_token",
      });
      const me = await fetchMe(token.access_token);
      this.token = token.access_token;
      this.expiresAt = Date.now() + (token.expires_in || 0) * 1000;
      this.me = me;
      this.persist();
      this.watchExpiry();
    },
    /** A new token for this session (after a password change, which voids every other one). */
    replaceToken(token: Token): void {
      this.token = token.access_token;
      this.expiresAt = Date.now() + (token.expires_in || 0) * 1000;
      this.persist();
      this.watchExpiry();
    },
    /** Re-read /api/auth/me (a role or unit may have changed); a 401 ends the session. */
    async refreshMe(): Promise<void> {
      if (!this.isActive()) return;
      try {
        this.me = await fetchMe(this.token);
        this.persist();
      } catch (exc) {
        if (exc instanceof ApiError && exc.status === 401) this.expire();
      }
    },
    logout(): void {
      clearTimeout(expiryTimer);
      this.token = "";
      this.expiresAt = 0;
      this.me = null;
      localStorage.removeItem(STORAGE_KEY);
    },
    /** The session ended without the user asking: clear it and let the app send them to /login. */
    expire(): void {
      if (!this.token) return;
      this.logout();
      expiredHandler?.();
    },
    persist(): void {
      localStorage.setItem(
        STORAGE_KEY, JSON.stringify({ token: this.token, expiresAt: this.expiresAt, me: this.me }),
      );
    },
    /** Arm the timer that logs out when the token expires. */
    watchExpiry(): void {
      clearTimeout(expiryTimer);
      if (!this.token) return;
      const wait = this.expiresAt - Date.now();
      if (wait <= 0) {
        this.expire();
        return;
      }
      expiryTimer = setTimeout(() => this.watchExpiry(), Math.min(wait + 500, MAX_DELAY));
    },
    /** Follow logins and logouts made in another tab of the same browser. */
    syncFromStorage(): void {
      const stored = load();
      if (!stored) {
        this.expire();
        return;
      }
      this.token = stored.token;
      this.expiresAt = stored.expiresAt;
      this.me = stored.me;
      this.watchExpiry();
    },
  },
});
