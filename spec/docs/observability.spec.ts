import { checkMarkdownExamples, formatDiagnostics } from './markdown-examples.js';

// docs/observability.md: every ```ts block compiles (the runnable code behind it is
// examples/observability.ts, run by spec/integration/observability-example.spec.ts).
describe('docs/observability.md', () => {
  it('has examples that compile', () => {
    const { examples, diagnostics } = checkMarkdownExamples('docs/observability.md');
    expect(examples.length).toBeGreaterThanOrEqual(7);
    expect(formatDiagnostics('docs/observability.md', diagnostics)).toBe('');
  }, 120_000);
});
