# seed_sql ENGINE MEMBERS: the SQL that adds MEMBERS users and members to the
# Default account beside the admin ada@example.com (every 20th an Admin, every
# 10th Disabled), older than the admin, one second apart; they share the
# admin's password hash. Used by run.sh and instructions.sh.
seed_sql() {
  local engine="$1" members="$2" seq
  if [ "$engine" = sqlite ]; then
    seq="CREATE TEMP TABLE seq AS WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $members)
         SELECT i, lower(hex(randomblob(16))) AS uid, lower(hex(randomblob(16))) AS mid FROM s;"
  else
    seq="CREATE TEMP TABLE seq AS SELECT i, md5('u' || i || random()::text) AS uid,
         md5('m' || i || random()::text) AS mid FROM generate_series(1, $members) AS i;"
  fi
  cat <<SQL
BEGIN;
$seq
INSERT INTO users (id, first_name, last_name, email, email_normalized, password_hash,
                   email_verified_at, created_at, updated_at)
  SELECT uid, 'Member' || i, 'Seeded', 'member' || i || '@example.com', 'member' || i || '@example.com',
         a.ph, a.t0, a.t0 - ($members - i + 1) * 1000, a.t0 - ($members - i + 1) * 1000
  FROM seq CROSS JOIN (SELECT password_hash AS ph, created_at AS t0 FROM users
                       WHERE email_normalized = 'ada@example.com') a;
INSERT INTO members (id, account_id, user_id, role, status, created_at, updated_at)
  SELECT mid, acc.id, uid,
         CASE WHEN i % 20 = 0 THEN 'admin' ELSE 'user' END,
         CASE WHEN i % 10 = 0 THEN 'disabled' ELSE 'active' END,
         a.t0 - ($members - i + 1) * 1000, a.t0 - ($members - i + 1) * 1000
  FROM seq CROSS JOIN (SELECT created_at AS t0 FROM users WHERE email_normalized = 'ada@example.com') a
           CROSS JOIN (SELECT id FROM accounts WHERE is_default = 1) acc;
COMMIT;
SQL
}
