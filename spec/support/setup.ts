// Servers log to `console` by default; specs that do not pass a logger of their own would
// otherwise print every dropped command. Specs that assert on console output spy on it themselves.
beforeEach(() => {
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});
