/**
 * Whether a symbol can name its folder under features/ (Qlib keeps one folder
 * per symbol): no path separator, no control or blank character, not . or ..,
 * so a symbol from a CSV or an instruments file never reaches outside the folder.
 */
export function isSafeSymbol(symbol: string): boolean {
  return symbol !== '' && symbol !== '.' && symbol !== '..' && !/[/\\\s\x00-\x1f\x7f]/.test(symbol);
}
