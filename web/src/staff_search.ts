// Find anything: the issuer's contracts by number (full-width and lower-case typed input too), company
// or 工事名, filtered by orderer, branch, status and issue date, page by page (GET /staff/contracts); the
// worklists 期限間近 and 変更申込あり are the same list with `worklist`. The query lives in the address
// (#/contracts?q=…&status=…), so a search can be bookmarked and the browser's back button returns to it.
import { ApiError, STATUS_LABELS, errorJa, h, labelCells, show, statusBadge, wareki, yen, type Schemas } from "./common";
import { branchesOf } from "./issuers";
import {
  api, contractHref, loadOrderers, ordererName, takeNotice, type StaffContractRows,
} from "./staff_common";

const PAGE = 20;

export const WORKLISTS: Record<string, string> = { expiring: "期限間近（30日以内）", changes: "変更申込あり" };
const FILTERS = ["q", "orderer_id", "branch_code", "status", "issued_from", "issued_to", "worklist"] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** What a clerk types, as the numbers are written: full-width to half-width, lower to upper case. */
export function normalizeNumber(text: string): string {
  return text.normalize("NFKC").replace(/[‐‑‒–—―ー−]/g, "-").replace(/\s+/g, "").toUpperCase();
}

export function searchHref(filters: Filters): string {
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as [string, string][]);
  const text = query.toString();
  return `#/contracts${text ? `?${text}` : ""}`;
}

/** The contract number quick-open form (the queue and the search page). */
export function contractSearch(): HTMLElement {
  const form = h("form", { class: "filters", id: "contract-search", role: "search", "aria-label": "保証契約番号で開く" },
    h("p", { class: "field inline" }, h("label", { for: "search-number" }, "保証契約番号"),
      h("input", { id: "search-number", name: "number", autocomplete: "off", placeholder: "31073-00001M" })),
    h("button", { type: "submit" }, "保証契約を開く"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = normalizeNumber((form.querySelector("#search-number") as HTMLInputElement).value);
    if (value) location.hash = contractHref(value);
  });
  return form;
}

async function search(filters: Filters, cursor: string | null): Promise<StaffContractRows> {
  const query = new URLSearchParams({ limit: String(PAGE) });
  for (const name of FILTERS) if (filters[name]) query.set(name, filters[name]!);
  if (cursor) query.set("cursor", cursor);
  return api.call<StaffContractRows>("GET", `/staff/contracts?${query}`);
}

let pages: { key: string; cursors: (string | null)[] } = { key: "", cursors: [null] };

function select(id: string, name: string, label: string, options: [string, string][], chosen: string | undefined): HTMLElement {
  return h("div", { class: "field", "data-field": name }, h("label", { for: id }, label),
    h("select", { id, name }, ...options.map(([v, t]) => h("option", { value: v, selected: v === (chosen ?? "") }, t))),
    h("p", { class: "field-error", id: `${id}-error` }));
}

function field(id: string, name: string, label: string, value: string | undefined, attrs: Record<string, string> = {}): HTMLElement {
  return h("div", { class: "field", "data-field": name }, h("label", { for: id }, label),
    h("input", { id, name, autocomplete: "off", value: value ?? "", ...attrs, "aria-describedby": `${id}-error` }),
    h("p", { class: "field-error", id: `${id}-error` }));
}

export async function searchView(params: URLSearchParams, issuer: Schemas["IssuerEntry"] | undefined): Promise<void> {
  const filters: Filters = {};
  for (const name of FILTERS) {
    const v = params.get(name);
    if (v) filters[name] = v;
  }
  const key = searchHref(filters);
  if (pages.key !== key) pages = { key, cursors: [null] };
  const notice = takeNotice();
  const registry = await loadOrderers();
  const form = h("form", { class: "filters search-form", id: "contracts-search", role: "search", "aria-label": "保証契約の検索" },
    field("q", "q", "検索語（保証契約番号・会社名・工事名）", filters.q, { type: "search" }),
    select("orderer", "orderer_id", "発注者", [["", "すべて"], ...registry.map((o): [string, string] => [o.orderer_id, o.name])], filters.orderer_id),
    select("branch", "branch_code", "取扱店", [["", "すべて"], ...branchesOf(issuer)], filters.branch_code),
    select("status", "status", "状態", [["", "すべて"], ...Object.entries(STATUS_LABELS)], filters.status),
    field("issued-from", "issued_from", "発行日（から）", filters.issued_from, { placeholder: "例：令和8年4月1日" }),
    field("issued-to", "issued_to", "発行日（まで）", filters.issued_to, { placeholder: "例：令和8年12月31日" }),
    select("worklist", "worklist", "一覧", [["", "すべて"], ...Object.entries(WORKLISTS)], filters.worklist),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "検索"),
      h("a", { href: "#/contracts", class: "button" }, "条件をクリア")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const chosen: Filters = {};
    for (const name of FILTERS) {
      const v = String(data.get(name) ?? "").trim();
      if (v) chosen[name] = v;
    }
    const href = searchHref(chosen);
    if (location.hash === href) void searchView(new URLSearchParams(href.split("?")[1] ?? ""), issuer);
    else location.hash = href;
  });

  let result: StaffContractRows;
  let refused: HTMLElement | null = null;
  try {
    result = await search(filters, pages.cursors[pages.cursors.length - 1]);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 422)) throw error;
    // A filter the API refuses is said at its field.
    result = { items: [], next_cursor: null };
    for (const problem of error.errors) {
      const name = problem.field.split(".").pop() ?? "";
      const slot = form.querySelector(`[data-field="${name}"] .field-error`);
      if (slot) slot.textContent = errorJa(problem.code);
      form.querySelector(`[data-field="${name}"] input, [data-field="${name}"] select`)?.setAttribute("aria-invalid", "true");
    }
    refused = h("p", { class: "message error", role: "alert" }, "検索条件を確かめてください。");
  }
  const n = pages.cursors.length;
  const title = filters.worklist ? WORKLISTS[filters.worklist] ?? "保証契約の検索" : "保証契約の検索";
  const table = labelCells(h("table", { class: "list", id: "contracts", "data-query": key },
    h("caption", {}, `${title}（${n} ページ目、${result.items.length} 件）`),
    h("thead", {}, h("tr", {}, ...["保証契約番号", "状態", "受注者・工事名", "発注者", "取扱店", "保証金額・保証期限", "発行日"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...result.items.map((r) => h("tr", { "data-contract": r.contract_number },
      h("td", { class: "nowrap" }, h("a", { href: contractHref(r.contract_number) }, r.contract_number),
        r.label ? h("span", { class: "help" }, ` ${r.label}`) : null),
      h("td", {}, statusBadge(r.status, r.status_label), r.pending_change ? h("span", { class: "badge pending-change" }, "変更申込あり") : null),
      h("td", { class: "wrap" }, r.contractor_name ?? "—", h("br"), h("span", { class: "help" }, r.work_name ?? "")),
      h("td", {}, ordererName(r.orderer_name, r.orderer_id)),
      h("td", {}, r.branch_name ?? (r.branch_code ? branchesOf(issuer).find(([c]) => c === r.branch_code)?.[1] ?? r.branch_code : "—")),
      h("td", { class: "num" }, yen(r.guarantee_amount), h("br"), wareki(r.guarantee_deadline)),
      h("td", { class: "nowrap" }, wareki(r.created_at)))))));
  const previous = h("button", { type: "button", disabled: n === 1 }, "前へ");
  previous.addEventListener("click", () => {
    pages.cursors = pages.cursors.slice(0, -1);
    void searchView(params, issuer);
  });
  const next = h("button", { type: "button", disabled: !result.next_cursor }, "次へ");
  next.addEventListener("click", () => {
    pages.cursors = [...pages.cursors, result.next_cursor];
    void searchView(params, issuer);
  });
  const searched = Object.keys(filters).length > 0;
  show(h("h1", {}, title), notice, form, refused,
    result.items.length ? h("div", { class: "scroll" }, table)
      : h("p", { id: "contracts-empty" }, searched ? "該当する保証契約はありません。" : "該当する保証契約はありません。条件を入れて検索してください。"),
    h("nav", { class: "actions pager", "aria-label": "ページ" }, previous, h("span", {}, `${n} ページ目`), next));
}
