import { ApiClient } from '../api/index.ts';
import { AirlockError } from '../core/index.ts';
import { resolveHome } from '../home/index.ts';
import { type OptionValues, str } from './command.ts';
import type { CliIo } from './io.ts';

/**
 * The client for this invocation: `--api URL` or `$AIRLOCK_API` (with
 * `$AIRLOCK_API_KEY`) for a remote server, else the home's Unix socket.
 */
export function connect(values: OptionValues, io: CliIo): ApiClient {
  const api = str(values, 'api') ?? io.env.AIRLOCK_API;
  if (api !== undefined && api !== '') {
    let url: URL;
    try {
      url = new URL(api);
    } catch (cause) {
      throw new AirlockError(
        'ERR_INVALID_ARGUMENT',
        '--api must be a URL like http://127.0.0.1:4781',
        { cause },
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AirlockError('ERR_INVALID_ARGUMENT', '--api must be an http or https URL');
    }
    if (url.username !== '' || url.password !== '') {
      throw new AirlockError(
        'ERR_INVALID_ARGUMENT',
        'put the API key in $AIRLOCK_API_KEY, not in the URL',
      );
    }
    const key = io.env.AIRLOCK_API_KEY;
    return new ApiClient({
      kind: 'url',
      url,
      apiKey: key === undefined || key === '' ? null : key,
    });
  }
  return new ApiClient({ kind: 'socket', path: resolveHome(str(values, 'home'), io.env).socket });
}
