// Estimate money for the pages: formatting with Intl.NumberFormat in the reader's locale, and the
// same exact arithmetic as the server's rules (resolvers/estimates.py) for totals while someone types
// or chooses. Integers of minor units only; a quantity is read from its text as hundredths, so 0.29
// is exactly 29 hundredths. The server recomputes everything; these figures are a preview.
import money from '../../resolvers/money.json';
import limits from '../../resolvers/limits.json';
import type { EstimateLine, EstimateLineKind } from './api';

export const STACK_CURRENCY: string = money.currency;
export const DEFAULT_TAX_BASIS_POINTS: number = money.taxRateBasisPoints;
export const MAX_LINES: number = limits.estimateMaxLines;
export const MAX_LINE_DESCRIPTION: number = limits.estimateLineDescriptionMaxLength;
export const MAX_COMMENT: number = limits.estimateCommentMaxLength;
export const MAX_UNIT_PRICE: number = limits.estimateMaxUnitPrice;
export const MAX_QUANTITY: number = limits.estimateMaxQuantity;

export const KIND_LABEL: Readonly<Record<EstimateLineKind, string>> = { LABOR: 'Labour', PART: 'Part', FEE: 'Fee' };

const formatters = new Map<string, Intl.NumberFormat>();
/** Money (minor units) in the page's locale, e.g. €312.00 or 312,00 €. */
export function formatMoney(minor: number, currency: string): string {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formatters.set(currency, formatter);
  }
  return formatter.format(minor / 100);
}

/** Half up for a non-negative fraction numerator / denominator (integers). */
function halfUp(numerator: number, denominator: number): number {
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}

/** A quantity's text ("1.5", "0,29") as hundredths, or null unless it is > 0 with at most 2 decimals. */
export function parseHundredths(text: string): number | null {
  const match = /^(\d{1,6})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return value > 0 && value <= MAX_QUANTITY * 100 ? value : null;
}

/** A price's text in major units ("90", "64.50") as minor units, or null. */
export function parseMinor(text: string): number | null {
  const match = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return value <= MAX_UNIT_PRICE ? value : null;
}

export function lineAmount(hundredths: number, unitPrice: number): number {
  return halfUp(hundredths * unitPrice, 100);
}

export function taxOf(amount: number, basisPoints: number): number {
  return halfUp(amount * basisPoints, 10_000);
}

export interface Totals {
  subtotal: number;
  tax: number;
  total: number;
}

export function totals(amounts: readonly number[], basisPoints: number): Totals {
  const subtotal = amounts.reduce((a, b) => a + b, 0);
  const tax = taxOf(subtotal, basisPoints);
  return { subtotal, tax, total: subtotal + tax };
}

/** The approved lines plus the tax on their sum. */
export function approvedTotal(lines: readonly Pick<EstimateLine, 'amount' | 'decision'>[], basisPoints: number): number {
  const approved = lines.filter((l) => l.decision === 'APPROVED').reduce((a, l) => a + l.amount, 0);
  return approved + taxOf(approved, basisPoints);
}

/** "Approved 2/3 · €312.00", or what is pending. */
export function estimateSummary(estimate: { version: number; lines: EstimateLine[]; total: number; approvedTotal: number; currency: string; answeredAt?: string | null }): string {
  if (estimate.answeredAt) {
    const approved = estimate.lines.filter((l) => l.decision === 'APPROVED').length;
    return `Approved ${approved}/${estimate.lines.length} · ${formatMoney(estimate.approvedTotal, estimate.currency)}`;
  }
  return `Estimate ${estimate.version} sent · ${formatMoney(estimate.total, estimate.currency)} · awaiting answer`;
}

export function formatQuantity(quantity: number): string {
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(quantity);
}
