// pgx-connect [--raw] DSN [SQL]: connects with pgx exactly as a Go service does with a DSN taken
// verbatim from a credentials Secret, runs SQL (default: SELECT current_user, current_database())
// and prints the first row tab-separated. Exit 1 with the error on stderr on failure.
//
// The DSN is a postgres:// URL or a keyword/value string. Neither pgx.Connect nor pgxpool knows
// `max_conns` (pgxpool's own name is `pool_max_conns`): both pass unknown parameters to the
// server as run-time settings, and PostgreSQL refuses the login with
// `FATAL: unrecognized configuration parameter "max_conns"`. `max_conns`, `max_idle_conns`,
// `max_conn_lifetime` and `max_conn_idle_time` are Ory's (Kratos, Hydra, Keto): its sqlcon
// package takes them off the query string (split at "?", url.ParseQuery, Del, Encode) before
// the DSN reaches pgx. pgx-connect does the same, so `DSN: "{{ .uri }}&max_conns=20"` is tested
// the way Ory reads it. --raw skips that step (a plain Go service calling pgx.Connect).
package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// oryPoolParams are the query parameters Ory's sqlcon.ParseConnectionOptions consumes.
var oryPoolParams = []string{"max_conns", "max_idle_conns", "max_conn_lifetime", "max_conn_idle_time"}

// oryCleanDSN mirrors sqlcon.ParseConnectionOptions's cleanedDSN: a DSN without exactly one
// "?" is left as it is, and so is one whose query does not parse.
func oryCleanDSN(dsn string) string {
	parts := strings.Split(dsn, "?")
	if len(parts) != 2 {
		return dsn
	}
	query, err := url.ParseQuery(parts[1])
	if err != nil {
		return dsn
	}
	for _, p := range oryPoolParams {
		query.Del(p)
	}
	return parts[0] + "?" + query.Encode()
}

func main() {
	args := os.Args[1:]
	raw := false
	if len(args) > 0 && args[0] == "--raw" {
		raw = true
		args = args[1:]
	}
	if len(args) < 1 || len(args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: pgx-connect [--raw] DSN [SQL]")
		os.Exit(2)
	}
	dsn := args[0]
	if !raw {
		dsn = oryCleanDSN(dsn)
	}
	query := "SELECT current_user, current_database()"
	if len(args) == 2 {
		query = args[1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, dsn, query); err != nil {
		fmt.Fprintf(os.Stderr, "pgx-connect: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, query string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("the query returned no row")
	}
	vals, err := rows.Values()
	if err != nil {
		return err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprint(v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	fmt.Println(strings.Join(out, "\t"))
	return nil
}
