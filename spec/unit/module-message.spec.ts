import { AsyncSubject } from 'rxjs';

import {
  CallbackWrapper,
  type Result,
  SparkChannelCancellationToken,
  SparkGenericModuleMessage,
} from '../../lib/index.js';

type Msg = { type: 'GetData'; key: string } | { type: 'LogEvent'; event: string };

describe('SparkGenericModuleMessage', () => {
  it('Request(wrapper) is exactly { type: "Request", wrapper }, keeping the wrapper by reference', () => {
    const wrapper = new CallbackWrapper<Msg, Result<string, Error>>(
      { type: 'GetData', key: 'user123' },
      new AsyncSubject(),
    );

    const message = SparkGenericModuleMessage.Request(wrapper);

    expect(message).toStrictEqual({ type: 'Request', wrapper });
    expect(message.wrapper).toBe(wrapper);
    expect(Object.keys(message)).toEqual(['type', 'wrapper']);
  });

  it('Command(message) is exactly { type: "Command", message }, keeping the message by reference', () => {
    const command: Msg = { type: 'LogEvent', event: 'User logged in' };

    const message = SparkGenericModuleMessage.Command(command);

    expect(message).toStrictEqual({ type: 'Command', message: command });
    expect(message.message).toBe(command);
    expect(Object.keys(message)).toEqual(['type', 'message']);
  });

  it('Command keeps falsy payloads (the field is present even when undefined)', () => {
    expect(SparkGenericModuleMessage.Command(0)).toStrictEqual({ type: 'Command', message: 0 });
    const empty = SparkGenericModuleMessage.Command(undefined);
    expect(empty).toStrictEqual({ type: 'Command', message: undefined });
    expect('message' in empty).toBe(true);
  });

  it('Shutdown(token) is exactly { type: "Shutdown", token }, keeping the token by reference', () => {
    const token = new SparkChannelCancellationToken();

    const message = SparkGenericModuleMessage.Shutdown(token);

    expect(message).toStrictEqual({ type: 'Shutdown', token });
    expect(message.token).toBe(token);
    expect(Object.keys(message)).toEqual(['type', 'token']);
  });

  it('Shutdown accepts any object with cancel(), as the loose trait allows, and does not cancel it', () => {
    const token = { cancel: jest.fn() };

    expect(SparkGenericModuleMessage.Shutdown(token)).toStrictEqual({ type: 'Shutdown', token });
    expect(token.cancel).not.toHaveBeenCalled();
  });

  it('builds a fresh object on every call', () => {
    const token = new SparkChannelCancellationToken();
    expect(SparkGenericModuleMessage.Shutdown(token)).not.toBe(SparkGenericModuleMessage.Shutdown(token));
  });

  it('produces values a switch on `type` tells apart', () => {
    const token = new SparkChannelCancellationToken();
    const wrapper = new CallbackWrapper<Msg, Result<string, Error>>(
      { type: 'GetData', key: 'k' },
      new AsyncSubject(),
    );
    const messages: SparkGenericModuleMessage<Msg, string>[] = [
      SparkGenericModuleMessage.Request(wrapper),
      SparkGenericModuleMessage.Command({ type: 'LogEvent', event: 'e' }),
      SparkGenericModuleMessage.Shutdown(token),
    ];

    const described = messages.map((message) => {
      switch (message.type) {
        case 'Request':
          return `request ${message.wrapper.message.type}`;
        case 'Command':
          return `command ${message.message.type}`;
        case 'Shutdown':
          return `shutdown ${String(message.token.isCancelled)}`;
      }
    });

    expect(described).toEqual(['request GetData', 'command LogEvent', 'shutdown false']);
  });
});
