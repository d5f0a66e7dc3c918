// Net Desk (受注者): 保証申込, 保証契約一覧, 電子保証概要 (with the 認証キー), 電子保証履歴一覧.
// Views are chosen by the address's fragment (#/apply, #/contracts, #/contracts/<number>, …).
import "./style.css";
import {
  Api, ApiError, PRODUCTS, boot, drafts, h, labelCells, message, nav, reasonJa, session, show,
  signIn, versionLabel, wareki, yen,
} from "./common";

const FRONT = "contractor";
const DRAFT = "apply";

interface Orderer {
  orderer_id: string;
  name: string;
  accepts_from: string;
  products: string[];
}

// The form's controls are named by the API's field paths, so a 422 lands on the control it names.
type Draft = Record<string, string> & { idempotency_key: string };

let formOpen = false;
const api = new Api(FRONT, () => {
  if (formOpen) drafts.save(DRAFT, readForm());
});

function today(): string {
  const now = new Date(Date.now() + 9 * 3600_000); // JST
  return now.toISOString().slice(0, 10);
}

// ------------------------------------------------------------------ 保証申込

function input(name: string, label: string, attrs: Record<string, string | boolean> = {}, help?: string): HTMLElement {
  const id = `f-${name.replace(/\./g, "-")}`;
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label),
    h("input", { id, name, autocomplete: "off", ...attrs, "aria-describedby": `${id}-error${help ? ` ${id}-help` : ""}` }),
    help ? h("p", { class: "help", id: `${id}-help` }, help) : null,
    h("p", { class: "field-error", id: `${id}-error` }));
}

function radios(name: string, legend: string, options: [string, string][], checked: string): HTMLElement {
  return h("fieldset", { class: "field", "data-field": name },
    h("legend", {}, legend),
    ...options.map(([value, text]) => h("label", { class: "choice" },
      h("input", { type: "radio", name, value, checked: value === checked }), text)),
    h("p", { class: "field-error", id: `f-${name}-error` }));
}

function select(name: string, label: string, options: [string, string][]): HTMLElement {
  const id = `f-${name.replace(/\./g, "-")}`;
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label),
    h("select", { id, name, "aria-describedby": `${id}-error` }, ...options.map(([v, t]) => h("option", { value: v }, t))),
    h("p", { class: "field-error", id: `${id}-error` }));
}

function readForm(): Draft {
  const form = document.getElementById("apply-form") as HTMLFormElement | null;
  const values: Record<string, string> = {};
  if (form) new FormData(form).forEach((v, k) => (values[k] = String(v)));
  values.idempotency_key = (form?.dataset.idempotencyKey as string) ?? crypto.randomUUID();
  return values as Draft;
}

function body(values: Draft): unknown {
  const text = (k: string) => (values[k] ?? "").trim();
  const optional = (k: string) => text(k) || null;
  return {
    product: values.product,
    format: values.format,
    notify_email: values.notify === "yes" ? text("notify_email") : null,
    branch_code: values.branch_code,
    orderer_id: values.orderer_id,
    work: {
      name: text("work.name"), kind: values["work.kind"], contract_price: text("work.contract_price"),
      contract_date: text("work.contract_date"), period_start: text("work.period_start"), period_end: text("work.period_end"),
    },
    guarantee: { amount: text("guarantee.amount"), deadline: text("guarantee.deadline") },
    contractor: { name: text("contractor.name"), address: text("contractor.address"), jv_name: optional("contractor.jv_name") },
    deposit_bank: optional("deposit_bank"),
  };
}

async function applyView(): Promise<void> {
  const orderers = (await api.call<{ orderers: Orderer[] }>("GET", "/orderers")).orderers;
  const form = h("form", { id: "apply-form", novalidate: true },
    h("h2", {}, "保証の内容"),
    select("product", "商品", PRODUCTS),
    radios("format", "証書の形式", [["electronic", "電子保証（認証キーを含む）"], ["paper", "書面"]], "electronic"),
    radios("notify", "発行のお知らせメール", [["yes", "希望する"], ["no", "希望しない"]], "yes"),
    input("notify_email", "メールアドレス", { type: "email", inputmode: "email" }, "認証キーはメールに記載しません。"),
    select("branch_code", "取扱店", [["31", "栃木支店"], ["11", "営業部"]]),
    select("orderer_id", "発注者", []),
    h("p", { class: "help", id: "orderer-help" }, "電子保証では、その商品を電子で受け付けている発注者だけを選べます。"),
    h("h2", {}, "工事（業務）"),
    input("work.name", "工事名", { required: true }),
    radios("work.kind", "種別", [["construction", "工事"], ["service", "業務"]], "construction"),
    input("work.contract_price", "請負金額（円）", { inputmode: "numeric", required: true }, "全角数字・カンマも入力できます。"),
    input("work.contract_date", "契約日", { placeholder: "2027-04-01", required: true }),
    input("work.period_start", "工期（自）", { placeholder: "2027-04-02", required: true }),
    input("work.period_end", "工期（至）", { placeholder: "2030-03-15", required: true }),
    h("h2", {}, "保証"),
    input("guarantee.amount", "保証金額（円）", { inputmode: "numeric", required: true }),
    input("guarantee.deadline", "保証期限", { placeholder: "2030-03-29", required: true }),
    h("h2", {}, "受注者"),
    input("contractor.name", "受注者名", { required: true }),
    input("contractor.address", "住所", { required: true }),
    input("contractor.jv_name", "共同企業体名（JVの場合）"),
    input("deposit_bank", "預託金融機関"),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "申込む")),
    h("div", { id: "apply-result", "aria-live": "polite" }));

  const product = form.querySelector<HTMLSelectElement>("[name=product]")!;
  const ordererSelect = form.querySelector<HTMLSelectElement>("[name=orderer_id]")!;
  ordererSelect.setAttribute("aria-describedby", "f-orderer_id-error orderer-help");
  const offer = () => {
    const electronic = (form.querySelector("[name=format]:checked") as HTMLInputElement).value === "electronic";
    const chosen = ordererSelect.value;
    const open = orderers.filter((o) => !electronic || (o.products.includes(product.value) && o.accepts_from <= today()));
    ordererSelect.replaceChildren(...open.map((o) => h("option", { value: o.orderer_id }, o.name)));
    if (open.some((o) => o.orderer_id === chosen)) ordererSelect.value = chosen;
  };
  form.addEventListener("change", offer);
  offer();

  // Restore what was typed before a sign-in.
  const draft = drafts.load<Draft>(DRAFT);
  form.dataset.idempotencyKey = draft?.idempotency_key ?? crypto.randomUUID();
  if (draft) {
    for (const [name, value] of Object.entries(draft)) {
      const controls = form.querySelectorAll<HTMLInputElement>(`[name="${name}"]`);
      controls.forEach((c) => (c.type === "radio" ? (c.checked = c.value === value) : (c.value = value)));
    }
    offer();
    if (draft.orderer_id) ordererSelect.value = draft.orderer_id;
  }
  form.addEventListener("input", () => drafts.save(DRAFT, readForm()));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll(".field-error").forEach((e) => (e.textContent = ""));
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
    const result = document.getElementById("apply-result")!;
    const values = readForm();
    drafts.save(DRAFT, values);
    try {
      const created = await api.call<{ application_id: string; status: string }>("POST", "/applications", body(values), {
        "Idempotency-Key": values.idempotency_key,
      });
      drafts.drop(DRAFT);
      formOpen = false;
      show(h("h1", {}, "保証申込"), message(`お申込みを受け付けました。申込番号 ${created.application_id}`, "info"),
        h("p", {}, "保証会社の審査のうえ発行します。発行後は「保証契約一覧」に表示されます。"),
        h("p", {}, h("a", { href: "#/contracts" }, "保証契約一覧へ")));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      result.replaceChildren(message(error.message));
      let first: HTMLElement | null = null;
      for (const problem of error.errors) {
        const box = fieldBox(form, problem.field);
        const slot = box?.querySelector(".field-error");
        if (slot) slot.textContent = reasonJa(problem.reason);
        const control = box?.querySelector<HTMLElement>("input, select");
        control?.setAttribute("aria-invalid", "true");
        first = first ?? control ?? null;
      }
      first?.focus();
    }
  });
  formOpen = true;
  show(h("h1", {}, "保証申込"), form);
}

/** The field box for an API field path (e.g. `work.contract_price`, `body.work.name`). */
function fieldBox(form: HTMLElement, path: string): HTMLElement | null {
  const parts = path.split(".").filter((p) => p !== "body" && !/^\d+$/.test(p));
  while (parts.length) {
    const box = form.querySelector<HTMLElement>(`[data-field="${parts.join(".")}"]`);
    if (box) return box;
    parts.pop();
  }
  return form.querySelector<HTMLElement>('[data-field="product"]');
}

// ------------------------------------------------------------------ 保証契約一覧

interface ContractRow {
  contract_number: string;
  contractor_name: string;
  work_name: string;
  orderer_name: string;
  contract_price: number;
  guarantee_amount: number;
  product_label: string;
  format: string;
}

async function contractsView(): Promise<void> {
  const { contracts } = await api.call<{ contracts: ContractRow[] }>("GET", "/contracts");
  const table = labelCells(h("table", { class: "list", id: "contracts" },
    h("caption", {}, `保証契約 ${contracts.length} 件`),
    h("thead", {}, h("tr", {}, ...["保証契約番号", "商品", "工事名", "発注者", "請負金額", "保証金額", "形式"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...contracts.map((c) => h("tr", {},
      h("td", {}, h("a", { href: `#/contracts/${encodeURIComponent(c.contract_number)}` }, c.contract_number)),
      h("td", {}, c.product_label), h("td", {}, c.work_name), h("td", {}, c.orderer_name),
      h("td", { class: "num" }, yen(c.contract_price)), h("td", { class: "num" }, yen(c.guarantee_amount)),
      h("td", {}, c.format === "electronic" ? "電子" : "書面"))))));
  show(h("h1", {}, "保証契約一覧"), contracts.length ? table : h("p", {}, "保証契約はまだありません。"));
}

// ------------------------------------------------------------------ 電子保証概要 / 電子保証履歴一覧

interface Detail {
  contract_number: string;
  format: string;
  auth_key: string | null;
  certificate: {
    product_label: string; version: number; change_number: number | null; issued_at: string; work_name: string;
    beneficiary: string; contract_price: number; guarantee_amount: number; guarantee_deadline: string; sha256: string;
    contractor: { name: string };
  } | null;
  history: { no: number; issued_at: string; target: string; version: number; label?: string }[];
  viewed_by_orderer_at: string | null;
  status?: string;
}

async function openDocument(path: string): Promise<void> {
  // Opened first, filled after: a window opened after an await is taken for a pop-up.
  const opened = window.open("", "_blank");
  try {
    const { url } = await api.call<{ url: string }>("GET", path);
    if (opened) opened.location.href = url;
    else location.assign(url);
  } catch (error) {
    opened?.close();
    throw error;
  }
}

function row(label: string, value: string | Node): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value));
}

async function overviewView(number: string): Promise<void> {
  const d = await api.call<Detail>("GET", `/contracts/${encodeURIComponent(number)}`);
  const c = d.certificate;
  if (!c) {
    show(h("h1", {}, "電子保証概要"), message("この保証はまだ発行手続中です。", "info"));
    return;
  }
  const print = h("button", { type: "button", class: "primary", id: "print-notice" }, "印刷");
  print.addEventListener("click", () => void openDocument(`/contracts/${encodeURIComponent(number)}/notice`));
  const key = d.auth_key
    ? h("section", { class: "key", "aria-labelledby": "key-title" },
      h("h2", { id: "key-title" }, "認証キー"),
      h("p", { class: "key-value", id: "auth-key" }, d.auth_key),
      h("p", {}, "発注者にお知らせください"),
      h("p", { class: "actions" }, print, h("span", { class: "help" }, "「認証キー」のお知らせ（PDF）を開きます。")))
    : null;
  show(h("h1", {}, "電子保証概要"),
    h("table", { class: "facts" }, h("tbody", {},
      row("保証契約番号", d.contract_number),
      d.status ? row("状態", d.status) : null,
      row("区分", versionLabel(c.change_number, undefined)),
      row("電子保証発行日時", wareki(c.issued_at, true)),
      row("商品", c.product_label), row("工事名", c.work_name), row("被保証者", c.beneficiary),
      row("請負金額", yen(c.contract_price)), row("保証金額", yen(c.guarantee_amount)),
      row("保証期限", wareki(c.guarantee_deadline)),
      row("発注者の閲覧", d.viewed_by_orderer_at ? wareki(d.viewed_by_orderer_at, true) : "まだ閲覧されていません"))),
    key,
    h("p", {}, h("a", { href: `#/contracts/${encodeURIComponent(number)}/history` }, "電子保証履歴一覧")));
}

async function historyView(number: string): Promise<void> {
  const d = await api.call<Detail>("GET", `/contracts/${encodeURIComponent(number)}`);
  const table = labelCells(h("table", { class: "list", id: "history" },
    h("caption", {}, `保証契約番号 ${number}`),
    h("thead", {}, h("tr", {}, ...["No.", "電子保証発行日時", "対象", "選択"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...d.history.map((entry) => {
      const open = h("button", { type: "button", class: "link" }, "表示");
      open.addEventListener("click", () => void openDocument(`/contracts/${encodeURIComponent(number)}/certificates/${entry.version}`));
      return h("tr", {}, h("td", {}, String(entry.no)), h("td", {}, wareki(entry.issued_at, true)),
        h("td", {}, entry.label ?? entry.target), h("td", {}, open));
    }))));
  show(h("h1", {}, "電子保証履歴一覧"), table,
    h("p", {}, h("a", { href: `#/contracts/${encodeURIComponent(number)}` }, "電子保証概要へ戻る")));
}

// ------------------------------------------------------------------ routing

async function route(): Promise<void> {
  formOpen = false;
  const path = location.hash.replace(/^#/, "") || "/apply";
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "contracts" && parts[1] && parts[2] === "history") await historyView(parts[1]);
    else if (parts[0] === "contracts" && parts[1]) await overviewView(parts[1]);
    else if (parts[0] === "contracts") await contractsView();
    else await applyView();
    document.getElementById("main")?.focus();
  } catch (error) {
    show(message(error instanceof Error ? error.message : String(error)));
  }
}

void boot(FRONT, async () => {
  if (!(await session(FRONT))) await signIn(FRONT);
  nav(FRONT, [["#/apply", "保証申込"], ["#/contracts", "保証契約一覧"]]);
  window.addEventListener("hashchange", () => void route());
  await route();
});
