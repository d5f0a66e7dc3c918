// 保証確認サービス: the orderer views the deposited certificate by 保証契約番号 + 認証キー.
//
// The notice's QR code opens /verify?contract_number=…#auth_key=…. The key is read from the
// fragment (never sent to any server in a URL), the fragment is dropped from the address bar at
// once, and the key is posted to the API in the request body only. Across the sign-in redirect the
// pre-filled form waits in this tab's sessionStorage, and is removed once shown.
import "./style.css";
import {
  Api, ApiError, boot, drafts, h, labelCells, message, nav, session, show, signIn, versionLabel, wareki, yen,
} from "./common";

const FRONT = "orderer";
const DRAFT = "verify";

interface Form {
  contract_number: string;
  auth_key: string;
}

interface Certificate {
  contract_number: string;
  product_label: string;
  version: number;
  change_number: number | null;
  label?: string;
  issued_at: string;
  beneficiary: string;
  work_name: string;
  contract_price: number;
  guarantee_amount: number;
  guarantee_deadline: string;
  period_start: string;
  period_end: string;
  contractor: { name: string; address?: string; jv_name?: string | null };
  sha256: string;
}

interface HistoryEntry {
  no: number;
  version: number;
  issued_at: string;
  target: string;
  label?: string;
}

interface Answer {
  certificate: Certificate;
  history: HistoryEntry[];
  pdf_url: string;
  status?: string;
  chain_valid?: boolean;
}

const STATUS: Record<string, string> = { valid: "有効", expired: "期限満了", terminated: "解約", claimed: "履行請求" };

/** Take the QR link's values out of the address bar; keep them only for this form. */
function takeFromUrl(): Partial<Form> {
  const taken: Partial<Form> = {};
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const number = query.get("contract_number");
  const key = fragment.get("auth_key");
  if (number) taken.contract_number = number;
  if (key) taken.auth_key = key;
  if (key || number) {
    // Drop the fragment (and the query) from the address bar and the history entry.
    history.replaceState(null, "", location.pathname);
  }
  return taken;
}

const api = new Api(FRONT, () => saveForm());

function field(name: keyof Form, label: string, value: string, extra: Record<string, string> = {}): HTMLElement {
  return h("div", { class: "field" },
    h("label", { for: name }, label),
    h("input", { id: name, name, value, autocomplete: "off", spellcheck: "false", required: true, ...extra }));
}

function currentForm(): Form | null {
  const number = document.getElementById("contract_number") as HTMLInputElement | null;
  const key = document.getElementById("auth_key") as HTMLInputElement | null;
  return number && key ? { contract_number: number.value, auth_key: key.value } : null;
}

function saveForm(): void {
  const form = currentForm();
  if (form) drafts.save(DRAFT, form);
}

function renderForm(values: Partial<Form>, notice?: HTMLElement): void {
  const form = h("form", { id: "verify-form", novalidate: true },
    field("contract_number", "保証契約番号", values.contract_number ?? "", { inputmode: "latin" }),
    field("auth_key", "認証キー", values.auth_key ?? "", { inputmode: "latin", "aria-describedby": "auth_key_help" }),
    h("p", { id: "auth_key_help", class: "help" }, "「認証キー」のお知らせに記載の英数字（大文字・小文字を区別します）"),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "閲覧")));
  const result = h("section", { id: "result", "aria-live": "polite" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void view(result);
  });
  show(h("h1", {}, "保証確認"), notice ?? null, form, result);
}

async function view(result: HTMLElement): Promise<void> {
  const form = currentForm()!;
  if (!form.contract_number.trim() || !form.auth_key.trim()) {
    result.replaceChildren(message("保証契約番号と認証キーを入力してください。"));
    return;
  }
  result.replaceChildren(h("p", {}, "照会中…"));
  try {
    const answer = await api.call<Answer>("POST", "/verifications", form);
    drafts.drop(DRAFT);
    result.replaceChildren(...certificateView(answer));
  } catch (error) {
    result.replaceChildren(message(error instanceof ApiError ? error.message : String(error)));
  }
}

function row(label: string, value: string | Node): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value));
}

function certificateView(answer: Answer): Node[] {
  const c = answer.certificate;
  const contractor = c.contractor.jv_name ? `${c.contractor.name}（${c.contractor.jv_name}）` : c.contractor.name;
  const facts = h("table", { class: "facts", id: "certificate" },
    h("caption", {}, "電子保証の内容"),
    h("tbody", {},
      answer.status ? row("状態", STATUS[answer.status] ?? answer.status) : null,
      row("区分", versionLabel(c.change_number, c.label)),
      row("電子保証発行日時", wareki(c.issued_at, true)),
      row("商品", c.product_label),
      row("保証契約番号", c.contract_number),
      row("工事名", c.work_name),
      row("被保証者", c.beneficiary),
      row("受注者（保証委託者）", contractor),
      row("請負金額", yen(c.contract_price)),
      row("保証金額", yen(c.guarantee_amount)),
      row("工期", `${wareki(c.period_start)} から ${wareki(c.period_end)} まで`),
      row("保証期限", wareki(c.guarantee_deadline)),
      answer.chain_valid === undefined ? null : row("履歴の連鎖", answer.chain_valid ? "正常（改ざんはありません）" : "不整合があります"),
      row("SHA-256", h("code", { class: "hash" }, c.sha256))));
  const deposit = h("p", { class: "deposit" },
    "この画面に表示している電子証書は、保証会社が本サービスに掲載した寄託の電子証書です。");
  const latest = answer.history[answer.history.length - 1];
  const filename = `certificate-${c.contract_number}-v${String(c.version).padStart(3, "0")}.pdf`;
  const versions = labelCells(h("table", { class: "list", id: "versions" },
    h("caption", {}, "電子保証履歴"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "No."), h("th", { scope: "col" }, "電子保証発行日時"),
      h("th", { scope: "col" }, "対象"), h("th", { scope: "col" }, "PDF"))),
    h("tbody", {}, ...answer.history.map((entry) => {
      const isLatest = entry === latest;
      const pdf = isLatest
        ? h("span", { class: "pdf" },
          h("a", { href: answer.pdf_url, target: "_blank", rel: "noopener" }, "表示"),
          h("a", { href: answer.pdf_url, download: filename, rel: "noopener" }, "ダウンロード"),
          printLink(answer.pdf_url))
        : "—";
      return h("tr", {}, h("td", {}, String(entry.no)), h("td", {}, wareki(entry.issued_at, true)),
        h("td", {}, entry.label ?? entry.target), h("td", {}, pdf));
    }))));
  return [h("h2", {}, `電子証書（${versionLabel(c.change_number, c.label)}）`), deposit, facts, versions];
}

function printLink(url: string): HTMLElement {
  // The PDF lives on another origin: it opens in its own window, where the browser prints it.
  const button = h("button", { type: "button", class: "link" }, "印刷");
  button.addEventListener("click", () => {
    const opened = window.open(url, "_blank", "noopener");
    if (!opened) location.assign(url);
  });
  return button;
}

// At once, before anything is awaited: the key leaves the address bar before the page does anything else.
const fromUrl = takeFromUrl();

void boot(FRONT, async () => {
  const token = await session(FRONT);
  if (!token) {
    // Remember the QR link's values (this tab only) and sign in first.
    const saved = drafts.load<Form>(DRAFT);
    drafts.save(DRAFT, { contract_number: fromUrl.contract_number ?? saved?.contract_number ?? "", auth_key: fromUrl.auth_key ?? saved?.auth_key ?? "" });
    await signIn(FRONT);
  }
  nav(FRONT, [["/verify", "保証確認"]]);
  const saved = drafts.load<Form>(DRAFT) ?? { contract_number: "", auth_key: "" };
  const values = { ...saved, ...fromUrl };
  drafts.drop(DRAFT); // the key stays in the form only
  renderForm(values, values.auth_key ? message("「認証キー」のお知らせの内容を入力しました。確認して「閲覧」を押してください。", "info") : undefined);
});
