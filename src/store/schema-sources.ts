/**
 * Migration 4: secret references and exec providers (secret sources beyond
 * the store).
 *
 * A reference stands for a secret whose value lives elsewhere (`env:`,
 * `file:`, `exec:`, `dotenvx:`); only its text is stored, never a value.
 * A secret name is either stored or a reference, never both: the two
 * triggers make the database itself refuse the second of a pair, with a
 * constraint error the store reports as `ERR_CONFLICT`.
 *
 * Providers are the exec programs references may name, declared per
 * workspace: an absolute command, its arguments, a timeout and the names of
 * the environment variables the child may see.
 */
export const SOURCES_SCHEMA = `
CREATE TABLE secret_refs (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  name         TEXT NOT NULL,
  ref          TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
) STRICT;

CREATE TABLE providers (
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  name         TEXT NOT NULL,
  spec         TEXT NOT NULL CHECK (json_valid(spec)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
) STRICT;

CREATE TRIGGER secret_refs_name_is_free BEFORE INSERT ON secret_refs
WHEN EXISTS (SELECT 1 FROM secrets WHERE workspace_id = NEW.workspace_id AND name = NEW.name)
BEGIN SELECT RAISE(ABORT, 'a stored secret has this name'); END;

CREATE TRIGGER secrets_name_is_free BEFORE INSERT ON secrets
WHEN EXISTS (SELECT 1 FROM secret_refs WHERE workspace_id = NEW.workspace_id AND name = NEW.name)
BEGIN SELECT RAISE(ABORT, 'a secret reference has this name'); END;
`;
