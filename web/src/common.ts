import type { components } from "./api";

/** The API's answers, generated from docs/openapi.json (web/src/api.d.ts, `make openapi`). */
export type Schemas = components["schemas"];

// What the three fronts share: the deploy-time configuration, sign-in through Cognito's managed
// login (authorization code + PKCE), the API client, and small DOM and Japanese formatting helpers.

export type Front = "contractor" | "staff" | "orderer";

interface SignIn {
  url: string; // the managed login's base URL (…/oauth2/authorize, …/oauth2/token, …/logout)
  clientId: string;
}

export interface Config {
  apiUrl: string;
  siteUrl: string;
  signIn: SignIn; // contractors and orderers
  staffSignIn: SignIn; // staff: their own pool, with TOTP
}

let config: Config | undefined;

export async function loadConfig(): Promise<Config> {
  if (!config) {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (!response.ok) throw new Error("config.json を読み込めませんでした。");
    config = (await response.json()) as Config;
  }
  return config;
}

import { ERROR_MESSAGES, GENERIC_ERROR } from "./error_messages";

// ------------------------------------------------------------------ sign-in

// Each front comes back to its own page; the URL must be one of the client's CallbackURLs.
const CALLBACK: Record<Front, string> = { contractor: "/", staff: "/staff/", orderer: "/verify" };
const TOKENS = (front: Front) => `esurety.tokens.${front}`;
const PENDING = "esurety.signin";

function b64url(bytes: Uint8Array): string {
  let text = "";
  bytes.forEach((b) => (text += String.fromCharCode(b)));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(bytes = 32): string {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function pool(front: Front, cfg: Config): SignIn {
  return front === "staff" ? cfg.staffSignIn : cfg.signIn;
}

function redirectUri(front: Front, cfg: Config): string {
  return cfg.siteUrl.replace(/\/$/, "") + CALLBACK[front];
}

interface Tokens {
  idToken: string;
  expiresAt: number; // ms since epoch, from the ID token's exp
}

export function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function storedTokens(front: Front): Tokens | null {
  const raw = sessionStorage.getItem(TOKENS(front));
  return raw ? (JSON.parse(raw) as Tokens) : null;
}

/** Leave for the managed login; `beforeLeaving` saves what the user typed. */
export async function signIn(front: Front): Promise<never> {
  const cfg = await loadConfig();
  const verifier = randomText(48);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = randomText(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, front, hash: location.hash }));
  const { url, clientId } = pool(front, cfg);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri(front, cfg),
    scope: "openid email",
    state,
    code_challenge: b64url(digest),
    code_challenge_method: "S256",
  });
  location.assign(`${url}/oauth2/authorize?${query}`);
  return new Promise<never>(() => undefined);
}

/** The ID token of the signed-in user, after finishing a sign-in that has just come back. */
export async function session(front: Front): Promise<string | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const pending = sessionStorage.getItem(PENDING);
  if (code && pending) {
    const { verifier, state, hash } = JSON.parse(pending);
    sessionStorage.removeItem(PENDING);
    // The code and state leave the address bar at once (and the history).
    history.replaceState(null, "", CALLBACK[front] + (hash || ""));
    if (params.get("state") !== state) throw new Error("サインインの応答が一致しません。もう一度お試しください。");
    const cfg = await loadConfig();
    const { url, clientId } = pool(front, cfg);
    const response = await fetch(`${url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: clientId,
        code,
        redirect_uri: redirectUri(front, cfg),
        code_verifier: verifier,
      }),
    });
    if (!response.ok) throw new Error("サインインできませんでした。もう一度お試しください。");
    const answer = await response.json();
    const exp = Number(claims(answer.id_token).exp) * 1000;
    sessionStorage.setItem(TOKENS(front), JSON.stringify({ idToken: answer.id_token, expiresAt: exp }));
  }
  const tokens = storedTokens(front);
  if (!tokens || tokens.expiresAt <= Date.now() + 5_000) return null;
  return tokens.idToken;
}

export async function signOut(front: Front): Promise<never> {
  const cfg = await loadConfig();
  sessionStorage.clear();
  const { url, clientId } = pool(front, cfg);
  const query = new URLSearchParams({ client_id: clientId, logout_uri: redirectUri(front, cfg) });
  location.assign(`${url}/logout?${query}`);
  return new Promise<never>(() => undefined);
}

// ------------------------------------------------------------------ drafts

/** What the user typed, kept in this tab across a sign-in (sessionStorage: gone with the tab). */
export const drafts = {
  save(name: string, value: unknown): void {
    sessionStorage.setItem(`esurety.draft.${name}`, JSON.stringify(value));
  },
  load<T>(name: string): T | null {
    const raw = sessionStorage.getItem(`esurety.draft.${name}`);
    return raw ? (JSON.parse(raw) as T) : null;
  },
  drop(name: string): void {
    sessionStorage.removeItem(`esurety.draft.${name}`);
  },
};

// ------------------------------------------------------------------ API

/** One problem of a 422: the field, its code (the screens' words: errorJa), the English reason (for developers). */
export interface FieldError {
  field: string;
  code: string;
  reason: string;
}

export const NETWORK_ERROR = "通信できませんでした。ネットワークの接続を確かめて、もう一度お試しください。";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
    readonly code: string = "", // a refusal's code (409, 428 …): the screen says it with errorJa
    readonly retryAfter: number | null = null, // a 429's Retry-After, in seconds (the API exposes the header)
    readonly answer: Record<string, unknown> = {}, // the refusal's whole body (a 429's `contact`)
  ) {
    super(message);
  }
}

export class Api {
  /** `onExpired` saves what the user typed and signs in again; it never returns. */
  constructor(
    private readonly front: Front,
    private readonly onExpired: () => void = () => undefined,
  ) {}

  async call<T>(method: "GET" | "POST" | "PUT", path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const cfg = await loadConfig();
    const token = await session(this.front);
    if (!token) return this.expired();
    let response: Response;
    try {
      response = await fetch(cfg.apiUrl.replace(/\/$/, "") + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      // The browser's own words for a lost connection are English (「Failed to fetch」): say it here.
      throw new ApiError(0, NETWORK_ERROR);
    }
    if (response.status === 401) return this.expired();
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const wait = Number(response.headers.get("retry-after"));
      throw new ApiError(response.status, answer.message ?? `エラーが発生しました（${response.status}）。`, answer.errors ?? [],
        typeof answer.code === "string" ? answer.code : "", Number.isFinite(wait) && wait > 0 ? wait : null, answer);
    }
    return answer as T;
  }

  private async expired(): Promise<never> {
    this.onExpired();
    return signIn(this.front);
  }
}

// ------------------------------------------------------------------ DOM

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

export function show(...children: Child[]): HTMLElement {
  const main = document.getElementById("main")!;
  main.replaceChildren(...(children.filter(Boolean) as (Node | string)[]));
  return main;
}

export function nav(front: Front, links: [string, string][]): void {
  const el = document.getElementById("nav")!;
  const button = h("button", { type: "button", class: "link" }, "ログアウト");
  button.addEventListener("click", () => void signOut(front));
  el.replaceChildren(...links.map(([href, text]) => h("a", { href }, text)), button);
}

export function message(text: string, kind: "error" | "info" = "error"): HTMLElement {
  return h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** A modal confirmation (<dialog>); resolves true when confirmed. */
export function confirmDialog(title: string, body: Node | string, ok: string): Promise<boolean> {
  return new Promise((resolve) => {
    const yes = h("button", { type: "submit", value: "ok", class: "primary" }, ok);
    const no = h("button", { type: "submit", value: "cancel", formnovalidate: true }, "キャンセル");
    const dialog = h("dialog", { "aria-labelledby": "dialog-title" },
      h("form", { method: "dialog" }, h("h2", { id: "dialog-title" }, title), body, h("p", { class: "actions" }, yes, no)));
    document.body.append(dialog);
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok");
    });
    dialog.showModal();
  });
}

// ------------------------------------------------------------------ Japanese formatting

export function yen(amount: number | null | undefined): string {
  return amount === null || amount === undefined ? "—" : `${amount.toLocaleString("ja-JP")} 円`;
}

/** 令和 (from 2019-05-01) or 平成; 元年 for the first year. */
export function wareki(iso: string | null | undefined, withTime = false): string {
  if (!iso) return "—";
  const [datePart, timePart = ""] = iso.split("T");
  const [y, m, d] = datePart.split("-").map(Number);
  const reiwa = y > 2019 || (y === 2019 && m >= 5);
  const era = reiwa ? "令和" : "平成";
  const year = reiwa ? y - 2018 : y - 1988;
  let text = `${era}${year === 1 ? "元" : year}年${m}月${d}日`;
  if (withTime && timePart) text += ` ${timePart.slice(0, 5)}`;
  return text;
}

export const PRODUCTS: [string, string][] = [
  ["advance_payment", "前払金保証"],
  ["contract", "契約保証"],
  ["interim_advance_payment", "中間前払金保証"],
];

export function productLabel(product: string): string {
  return PRODUCTS.find(([value]) => value === product)?.[1] ?? product;
}

/** The Japanese for an error code of the API (web/src/error_messages.ts, generated from the API's
 * own registry). The English `reason` is for developers and is never shown; a code this build does
 * not know yet reads as a generic Japanese message. */
export function errorJa(code: string | null | undefined): string {
  return (code && Object.hasOwn(ERROR_MESSAGES, code) ? ERROR_MESSAGES[code] : undefined) ?? GENERIC_ERROR;
}

/** Each problem of a 422 as 「<field's name>：<why>」, the field named as on the screen (`labels`, by
 * the API's field path); never the bare 「入力内容に誤りがあります。」. */
export function problemsText(error: ApiError, labels: Record<string, string>): string[] {
  return error.errors.map((problem) => {
    const path = problem.field.split(".").filter((part) => part !== "body");
    const name = labels[path.join(".")] ?? labels[path[path.length - 1] ?? ""];
    return name ? `${name}：${errorJa(problem.code)}` : errorJa(problem.code);
  });
}

/** Now plus `seconds`, as a Japanese clock time (today: 15時05分; another day: its 令和 date too). */
export function untilText(seconds: number, now: Date = new Date()): string {
  const jst = (d: Date) => new Date(d.getTime() + 9 * 3600_000).toISOString();
  const until = jst(new Date(now.getTime() + seconds * 1000));
  const time = `${Number(until.slice(11, 13))}時${until.slice(14, 16)}分`;
  return until.slice(0, 10) === jst(now).slice(0, 10) ? time : `${wareki(until.slice(0, 10))} ${time}`;
}

/** A size in the units people read (10 MB, 512 KB). */
export function fileSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;
  if (bytes >= 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${bytes} バイト`;
}

/** 保証の状態: valid | expired | terminated | claimed, with the API's label. */
export const STATUS_LABELS: Record<string, string> = { valid: "有効", expired: "期限満了", terminated: "解約", claimed: "履行請求" };

export function statusBadge(status: string | null | undefined, label?: string | null): HTMLElement | string {
  if (!status) return "—";
  return h("span", { class: `badge status-${status}` }, label ?? STATUS_LABELS[status] ?? status);
}

export const ENDINGS: Record<string, string> = { cancelled: "解約", terminated: "解約", claimed: "保証債務履行請求" };

export type Ending = Schemas["Ending"];

export function endingText(ending: Ending | null | undefined): string | null {
  if (!ending) return null;
  return `${ENDINGS[ending.kind] ?? ending.kind}（${wareki(ending.date)}）${ending.reason ? `：${ending.reason}` : ""}`;
}

/** 申込の状態 and 区分, in the words of the screens. */
export const APPLICATION_STATUS: Record<string, string> = { submitted: "審査中", issued: "発行済み", rejected: "却下" };
export const APPLICATION_KIND: Record<string, string> = { new: "新規", change: "変更", interim: "新規（中間前払金）" };

/** Open a link the API gives after a call: the window is opened first (a window opened after an
 * await is taken for a pop-up), filled once the link is known, closed on failure. */
export async function openInWindow(link: () => Promise<string>): Promise<void> {
  const opened = window.open("", "_blank");
  try {
    const url = await link();
    if (opened) {
      opened.opener = null;
      opened.location.href = url;
    } else location.assign(url);
  } catch (error) {
    opened?.close();
    throw error;
  }
}

export async function boot(front: Front, main: () => Promise<void>): Promise<void> {
  try {
    await loadConfig();
    await main();
  } catch (error) {
    // An ApiError speaks Japanese; anything else is the browser's or a script's own English.
    console.error(error);
    show(message(error instanceof ApiError ? error.message : "画面を表示できませんでした。再読み込みしてください。"));
  }
}

/** Each cell names its column (data-label): narrow screens show the rows as cards, without a head row. */
export function labelCells(table: HTMLTableElement): HTMLTableElement {
  const heads = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent ?? "");
  table.querySelectorAll("tbody tr").forEach((tr) =>
    Array.from(tr.children).forEach((td, i) => heads[i] && td.setAttribute("data-label", heads[i])));
  return table;
}

// ------------------------------------------------------------------ forms

/** A labelled input named by the API's field path (so a 422 lands on it), with help and an error slot. */
export function input(name: string, label: string, attrs: Record<string, string | boolean> = {}, help?: string): HTMLElement {
  const id = `f-${name.replace(/\./g, "-")}`;
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label),
    h("input", { id, name, autocomplete: "off", ...attrs, "aria-describedby": `${id}-error${help ? ` ${id}-help` : ""}` }),
    help ? h("p", { class: "help", id: `${id}-help` }, help) : null,
    h("p", { class: "field-error", id: `${id}-error` }));
}

/** The field box for an API field path (e.g. `work.contract_price`, `body.work.name`); with
 * `orFirst`, the form's first field when none matches (else null). */
export function fieldBox(form: HTMLElement, path: string, orFirst = true): HTMLElement | null {
  const parts = path.split(".").filter((p) => p !== "body" && !/^\d+$/.test(p));
  while (parts.length) {
    const box = form.querySelector<HTMLElement>(`[data-field="${parts.join(".")}"]`);
    if (box) return box;
    parts.pop();
  }
  return orFirst ? form.querySelector<HTMLElement>("[data-field]") : null;
}

/** Each problem at the field it names; one naming no field of the form at `fallback`. */
export function showFieldErrors(form: HTMLElement, error: ApiError, fallback: HTMLElement | null): void {
  let first: HTMLElement | null = null;
  for (const problem of error.errors) {
    const box = fieldBox(form, problem.field, fallback === null);
    const slot = box ? box.querySelector(".field-error") ?? (box.classList.contains("field-error") ? box : null) : fallback;
    if (slot) slot.textContent = [slot.textContent, errorJa(problem.code)].filter(Boolean).join(" ");
    const control = box?.querySelector<HTMLElement>("input, select, textarea");
    control?.setAttribute("aria-invalid", "true");
    first = first ?? control ?? null;
  }
  first?.focus();
}

export function clearFieldErrors(form: HTMLElement): void {
  form.querySelectorAll(".field-error").forEach((e) => (e.textContent = ""));
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

/** A labelled textarea (a reason), named by the API's field path. */
export function textArea(name: string, label: string, attrs: Record<string, string | boolean> = {}): HTMLElement {
  const id = `f-${name.replace(/\./g, "-")}`;
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label),
    h("textarea", { id, name, rows: "3", maxlength: "500", ...attrs, "aria-describedby": `${id}-error` }),
    h("p", { class: "field-error", id: `${id}-error` }));
}
