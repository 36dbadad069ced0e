import { checkMarkdownExamples, formatDiagnostics } from './markdown-examples.js';

// README.md: the quick start and the typed-module example compile against lib/, so the first
// code a newcomer reads cannot rot.
describe('README.md', () => {
  it('has examples that compile', () => {
    const { examples, diagnostics } = checkMarkdownExamples('README.md');
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(formatDiagnostics('README.md', diagnostics)).toBe('');
  }, 120_000);
});
