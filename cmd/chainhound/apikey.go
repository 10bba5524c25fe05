package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/apikey"
)

func apikeyCreateCommand() command {
	c := command{
		name:    "apikey create",
		summary: "create an API key for chainhound serve: printed once on stdout, stored only as a hash in DATA/apikeys.json",
		usage:   "--name NAME --scopes screen,lookup,trace,guard,watch,cases [--rate 50] [--burst 100]",
		example: "chainhound apikey create --name compliance-bot --scopes screen,lookup --rate 20 --burst 40",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		name := fs.String("name", "", "who or what the key is for (shown in listings and logs)")
		scopes := fs.String("scopes", "", "comma-separated scopes: "+strings.Join(apikey.AllScopes, ", "))
		rate := fs.Float64("rate", apikey.DefaultRate, "sustained requests per second the key may make")
		burst := fs.Int("burst", apikey.DefaultBurst, "requests the key may make at once above the rate")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *name == "" || *scopes == "" {
			return usagef("give --name and --scopes")
		}
		sc, err := apikey.ParseScopes(*scopes)
		if err != nil {
			return usagef("--scopes: %v", err)
		}
		if *rate <= 0 || *burst < 1 {
			return usagef("--rate %v --burst %d: want a positive rate and a burst of at least 1", *rate, *burst)
		}
		path := apikey.Path(*data)
		k, tok, err := apikey.New(*name, sc, *rate, *burst, time.Now())
		if err != nil {
			return usageError{err.Error()}
		}
		if err := apikey.Update(path, func(keys []apikey.Key) ([]apikey.Key, error) { return append(keys, k), nil }); err != nil {
			return err
		}
		e.log.Info("API key created; it is shown once, store it now", "id", k.ID, "name", k.Name, "scopes", strings.Join(k.Scopes, ","), "file", path)
		fmt.Fprintln(e.stdout, tok)
		return nil
	}
	return c
}

func apikeyListCommand() command {
	c := command{
		name:    "apikey list",
		summary: "list the API keys (ids, names, scopes, rates, created and revoked times; never secrets)",
		usage:   "[--output table|json]",
		example: "chainhound apikey list --output json",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		output := fs.String("output", "table", "table or json")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		keys, err := apikey.Load(apikey.Path(*data))
		if err != nil {
			return err
		}
		if *output == "json" {
			type keyOut struct {
				ID      string     `json:"id"`
				Name    string     `json:"name"`
				Scopes  []string   `json:"scopes"`
				Rate    float64    `json:"rate"`
				Burst   int        `json:"burst"`
				Created time.Time  `json:"created"`
				Revoked *time.Time `json:"revoked,omitempty"`
			}
			out := []keyOut{}
			for _, k := range keys {
				out = append(out, keyOut{k.ID, k.Name, k.Scopes, k.Rate, k.Burst, k.Created, k.Revoked})
			}
			return writeJSON(e, out)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tRATE\tBURST\tCREATED\tREVOKED")
		for _, k := range keys {
			revoked := "-"
			if k.Revoked != nil {
				revoked = k.Revoked.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%g\t%d\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Scopes, ","), k.Rate, k.Burst, k.Created.UTC().Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	}
	return c
}

func apikeyRevokeCommand() command {
	c := command{
		name:    "apikey revoke",
		summary: "revoke an API key by id; a running serve stops accepting it within seconds",
		usage:   "ID",
		example: "chainhound apikey revoke 3f9a0c51d2e4b786",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want exactly one key id (chainhound apikey list shows them), got %d arguments", len(pos))
		}
		path := apikey.Path(*data)
		var revoked *apikey.Key
		already := false
		err = apikey.Update(path, func(keys []apikey.Key) ([]apikey.Key, error) {
			for i := range keys {
				if keys[i].ID != pos[0] {
					continue
				}
				revoked = &keys[i]
				if keys[i].Revoked != nil {
					already = true
					return nil, errUnchanged
				}
				now := time.Now().UTC().Truncate(time.Second)
				keys[i].Revoked = &now
				return keys, nil
			}
			return nil, fmt.Errorf("no API key %q in %s (chainhound apikey list shows them)", pos[0], path)
		})
		switch {
		case already:
			e.log.Info("already revoked", "id", revoked.ID, "at", revoked.Revoked.UTC().Format(time.RFC3339))
			return nil
		case err != nil:
			return err
		}
		e.log.Info("API key revoked", "id", revoked.ID, "name", revoked.Name)
		return nil
	}
	return c
}

// errUnchanged stops an apikey.Update that has nothing to save.
var errUnchanged = errors.New("unchanged")
