// The issuers (保証事業会社, 損害保険会社, 銀行) as the three fronts show them: the public registry
// (GET /issuers) and the issuer an answer names (`issuer`, an IssuerRef).
import { h, loadConfig, type Schemas } from "./common";

export type IssuerRef = Schemas["IssuerRef"];
export type IssuerKind = IssuerRef["kind"];

/** The default issuer: an application without `issuer_id` goes to it (the platform's first surety). */
export const DEFAULT_ISSUER_ID = "toto-hosho";

/** One entry of GET /issuers: who it is, what it offers under which document, its 取扱店. */
export type IssuerEntry = Schemas["IssuerEntry"];

/** The document an issuer issues for a product, in the words printed on it. */
export const DOCUMENT_TITLES: Record<string, string> = {
  surety_certificate: "保証証書",
  performance_bond: "公共工事履行保証証券",
  bank_guarantee: "保証書",
};

let registry: Promise<IssuerEntry[]> | null = null;

/** GET /issuers, once per page. The route is public: it is called without the user's token (a staff
 * or orderer token has no business at the contractors' function). A registry that cannot be read
 * answers an empty list: the screens then name only what the answers themselves carry. */
export function loadIssuers(): Promise<IssuerEntry[]> {
  registry ??= (async () => {
    const cfg = await loadConfig();
    const response = await fetch(cfg.apiUrl.replace(/\/$/, "") + "/issuers");
    if (!response.ok) return [];
    const answer = (await response.json()) as { issuers?: IssuerEntry[] };
    return answer.issuers ?? [];
  })().catch(() => []);
  return registry;
}

/** The issuer an answer names, or null. Absent on records from before the registry: nothing is
 * shown then rather than a guess. */
export function issuerOf(answer: object | null | undefined): IssuerRef | null {
  const issuer = (answer as { issuer?: IssuerRef | null } | null | undefined)?.issuer;
  return issuer && issuer.name ? issuer : null;
}

/** 「東都建設保証株式会社（保証事業会社）」 */
export function issuerText(issuer: IssuerRef | IssuerEntry): string {
  return `${issuer.name}（${issuer.kind_label}）`;
}

/** A cell or a fact: the issuer's name with its kind under it, or 「—」. */
export function issuerCell(issuer: IssuerRef | null, fallbackName?: string | null): Node | string {
  if (issuer) return h("span", { class: "issuer" }, issuer.name, h("br"), h("span", { class: "help" }, issuer.kind_label));
  return fallbackName || "—";
}

/** The document title for an issuer's product: 保証証書 / 公共工事履行保証証券 / 保証書 (null: unknown). */
export function documentTitle(entries: IssuerEntry[], issuerId: string | null | undefined, product: string | null | undefined): string | null {
  const entry = entries.find((e) => e.issuer_id === issuerId);
  const document = entry?.products.find((p) => p.product === product)?.document;
  return document ? DOCUMENT_TITLES[document] ?? null : null;
}

/** The branches (取扱店) of an issuer as [code, name], as the registry publishes them. */
export function branchesOf(entry: IssuerEntry | undefined): [string, string][] {
  return (entry?.branches ?? []).map((b) => [b.code, b.name]);
}

/** A branch's name by its code among every issuer's (the code alone when none has it). */
export function branchName(entries: IssuerEntry[], issuerId: string | null | undefined, code: string | null | undefined): string {
  if (!code) return "—";
  const id = issuerId || DEFAULT_ISSUER_ID;
  const found = branchesOf(entries.find((e) => e.issuer_id === id)).find(([c]) => c === code);
  return found ? found[1] : code;
}

/** What an orderer says it accepts from which kind of issuer (GET /orderers). */
export interface Acceptances {
  accepts_from: string;
  products: string[];
  accepts_issuers?: Schemas["IssuerAcceptance"][] | null;
}

/** Does the orderer accept `product` from an issuer of `kind` on `day` (ISO)? An entry without
 * `accepts_issuers` accepts sureties only, for its products, from its first day (as the API reads it). */
export function acceptsKind(orderer: Acceptances, kind: IssuerKind, product: string, day: string): boolean {
  const acceptances = orderer.accepts_issuers?.length
    ? orderer.accepts_issuers
    : [{ kind: "surety" as const, products: orderer.products, since: orderer.accepts_from }];
  return acceptances.some((a) => a.kind === kind && a.products.includes(product) && a.since <= day);
}

/** The issuers a contractor may apply to for `product`: taking applications, offering it, and (when
 * `orderer` is given) of a kind that orderer accepts for it on `day`. */
export function offering(entries: IssuerEntry[], product: string, orderer: Acceptances | null, day: string): IssuerEntry[] {
  return entries.filter((e) => e.status === "active" && e.products.some((p) => p.product === product)
    && (!orderer || acceptsKind(orderer, e.kind, product, day)));
}

/** The one to preselect: the one chosen before if still offered, else the default surety, else the first surety. */
export function preferred(choices: IssuerEntry[], chosen: string | null | undefined): string {
  if (chosen && choices.some((e) => e.issuer_id === chosen)) return chosen;
  return (choices.find((e) => e.issuer_id === DEFAULT_ISSUER_ID) ?? choices.find((e) => e.kind === "surety") ?? choices[0])?.issuer_id ?? "";
}
