/** Migration 2: tasks and issued task tokens (filled in by the tokens work). */
export const TOKENS_SCHEMA = `SELECT 1;`;
