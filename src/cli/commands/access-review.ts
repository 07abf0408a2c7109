import { type AccessReview, accessReviewMarkdown } from '../../audit/index.ts';
import { AirlockError } from '../../core/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command, flag, str } from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';

export const accessReviewCommand: Command = {
  name: 'access-review',
  summary:
    'The periodic access review: per agent, its grants and their last use, unused grants, denials and live tokens.',
  help: `access-review [--since 30d] [--until T] [--format md|json]

  --since T        start of the review window (default 30d): a duration back, an ISO-8601 time, or epoch ms
  --until T        end of the window (default now)
  --format F       md (a document to sign off, the default) or json
${CLIENT_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    until: { type: 'string' },
    format: { type: 'string' },
  },
  positionals: [0, 0],
  async run({ io, values }) {
    const format = str(values, 'format') ?? (flag(values, 'json') ? 'json' : 'md');
    if (format !== 'md' && format !== 'json') {
      throw new AirlockError('ERR_INVALID_ARGUMENT', '--format must be md or json');
    }
    const params = new URLSearchParams({ since: str(values, 'since') ?? '30d' });
    const until = str(values, 'until');
    if (until !== undefined) params.set('until', until);
    const { review } = await connect(values, io).get<{ review: AccessReview }>(
      `/v1/audit/access-review?${params.toString()}`,
    );
    if (format === 'json') printJson(io, review);
    else io.out(accessReviewMarkdown(review));
    return 0;
  },
};
