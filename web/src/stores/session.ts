import { defineStore } from "pinia";
import type { ApiError } from "../api/http";

export interface Me {
  username: string;
  display_name: string;
  role: "office_admin" | "office_staff" | "lead_unit" | "unit" | "viewer" | "hotline_platform";
  unit_code: string | null;
  unit_name: string | null;
}

export const ROLE_LABELS: Record<string, string> = {
  office_admin: "改革办管理员",
  office_staff: "改革办工作人员",
  lead_unit: "牵头单位",
  unit: "责任单位",
  viewer: "只读",
  hotline_platform: "热线平台接口",
};

const STORAGE_KEY = "reform.session";

interface Stored {
  token: string;
  expiresAt: number;
  me: Me | null;
}

function load(): Stored | null {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Stored | null;
    return stored && stored.expiresAt > Date.now() ? stored : null;
  } catch {
    return null;
  }
}

export const useSession = defineStore("session", {
  state: () => {
    const stored = load();
    return { token: stored?.token ?? "", expiresAt: stored?.expiresAt ?? 0, me: stored?.me ?? null };
  },
  getters: {
    loggedIn: (state) => Boolean(state.token) && state.expiresAt > Date.now(),
    isOffice: (state) => state.me?.role === "office_admin" || state.me?.role === "office_staff",
  },
  actions: {
    async login(username: string, password: string): Promise<void> {
      const body = new URLSearchParams({ username, password });
      const response = await fetch("/api/auth/token", { method: "POST", body });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({ detail: "登录失败" }));
        throw Object.assign(new Error(problem.detail ?? "登录失败"), { problem }) as ApiError;
      }
      const token = (await response.json()) as { access_token: string; expires_in: number };
      this.token = token.access_token;
      this.expiresAt = Date.now() + token.expires_in * 1000;
      const me = await fetch("/api/auth/me", { headers: { Authorization: `Bearer ${this.token}` } });
      this.me = me.ok ? ((await me.json()) as Me) : null;
      this.persist();
    },
    logout(): void {
      this.token = "";
      this.expiresAt = 0;
      this.me = null;
      localStorage.removeItem(STORAGE_KEY);
    },
    persist(): void {
      localStorage.setItem(
        STORAGE_KEY, JSON.stringify({ token: this.token, expiresAt: this.expiresAt, me: this.me }),
      );
    },
  },
});
