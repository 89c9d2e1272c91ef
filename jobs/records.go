package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Job records live in the queue Redis, under Config.KeyPrefix (p):
//
//	p job:<id>          hash: the record (fields below)
//	p job:<id>:tiles    set: indexes of the tiles done (the done-set)
//	p job:<id>:stats    hash: tile index → what running it cost (JSON)
//	p job:<id>:final    string: set NX by the one finalization that wins
//	p job:<id>:cancel   string: set by Dismiss; running handlers poll it
//	p jobs              sorted set: job IDs scored by creation (Unix ms)
//	p fp:<fingerprint>  string: the job that answers identical requests
//	p client:<name>     set: the client's jobs that may still be running
//
// Every job key expires Retention after the job's last update; the sorted
// set is trimmed of jobs created more than Retention ago on each Submit and
// List, and of IDs whose record has expired when List meets them.
type records struct {
	rdb       redis.UniversalClient
	prefix    string
	retention time.Duration
}

func (r *records) jobKey(id string) string    { return r.prefix + "job:" + id }
func (r *records) tilesKey(id string) string  { return r.prefix + "job:" + id + ":tiles" }
func (r *records) statsKey(id string) string  { return r.prefix + "job:" + id + ":stats" }
func (r *records) finalKey(id string) string  { return r.prefix + "job:" + id + ":final" }
func (r *records) cancelKey(id string) string { return r.prefix + "job:" + id + ":cancel" }
func (r *records) indexKey() string           { return r.prefix + "jobs" }
func (r *records) fpKey(fp string) string     { return r.prefix + "fp:" + fp }
func (r *records) clientKey(c string) string  { return r.prefix + "client:" + c }

// doneChannel is the pub/sub channel a job's ID is published on when it
// reaches a final status, so that Wait need not poll.
func (r *records) doneChannel() string { return r.prefix + "jobs:done" }

// Record field names.
const (
	fProcess    = "process"
	fStatus     = "status"
	fMessage    = "message"
	fCreated    = "created"
	fStarted    = "started"
	fFinished   = "finished"
	fUpdated    = "updated"
	fDone       = "done"
	fTotal      = "total"
	fInputs     = "inputs"
	fOutputs    = "outputs"
	fSubscriber = "subscriber"
	fClient     = "client"
	fQueue      = "queue"
	fOutputURL  = "output_url"
	fFingerprnt = "fingerprint"
	fLayout     = "layout"
)

// record is a job plus what the job system keeps about it and does not
// show.
type record struct {
	Job
	Queue       string
	OutputURL   string // the store the job writes, "" when it writes none
	Fingerprint string
	// Layout is how the plan task cut the work (work.Layout), "" before:
	// every later task opens the job with it, whatever its worker's
	// configuration.
	Layout string
}

// newJobID returns a random UUID (version 4), the form OGC clients expect.
func newJobID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func ms(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func fromMS(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// createScript writes a new record and indexes it, and, when the client's
// jobs are limited, admits it against the limit in the same atomic step:
// the client's set is cleaned of jobs that ended or expired, the rest
// counted, and the job is written and added to the set only under the
// limit. A refused job is never written, so it is never listed nor run, and
// an admitted one is never in the set without its record.
//
// KEYS: the record, the time index, the client's set (absent: no limit).
// ARGV: the ID, retention (ms), creation (ms), the index's cutoff (ms), the
// limit, the record key's prefix (jobKey("")), then the record's
// field-value pairs.
//
// The records of the set's members are read under keys the script builds
// from that prefix, not passed in KEYS: they are known only once the set is
// read. That is sound on the queue Redis, a single instance, not on a
// cluster.
var createScript = redis.NewScript(`
if #KEYS == 3 then
  local active = 0
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    local st = redis.call('HGET', ARGV[6] .. id, 'status')
    if st == 'accepted' or st == 'running' then
      active = active + 1
    else
      redis.call('SREM', KEYS[3], id)
    end
  end
  if active >= tonumber(ARGV[5]) then return {0, active} end
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
return {1, 0}
`)

// create writes a new record and indexes it. When maxClientJobs > 0 and
// the job has a client, it is created only if the client has fewer jobs
// accepted or running; otherwise nothing is written and the error wraps
// ErrLimit.
func (r *records) create(ctx context.Context, rec *record, maxClientJobs int) error {
	inputs, err := json.Marshal(rec.Inputs)
	if err != nil {
		return fmt.Errorf("job %s: inputs: %w", rec.ID, err)
	}
	keys := []string{r.jobKey(rec.ID), r.indexKey()}
	if maxClientJobs > 0 && rec.Client != "" {
		keys = append(keys, r.clientKey(rec.Client))
	}
	cutoff := time.Now().Add(-r.retention).UnixMilli()
	args := []any{rec.ID, r.retention.Milliseconds(), rec.Created.UnixMilli(), cutoff, maxClientJobs, r.jobKey(""),
		fProcess, rec.ProcessID,
		fStatus, string(rec.Status),
		fCreated, ms(rec.Created),
		fUpdated, ms(rec.Updated),
		fDone, 0,
		fTotal, rec.Total,
		fInputs, inputs,
		fClient, rec.Client,
		fQueue, rec.Queue,
		fOutputURL, rec.OutputURL,
		fFingerprnt, rec.Fingerprint,
	}
	if rec.Subscriber != nil {
		sub, _ := json.Marshal(rec.Subscriber)
		args = append(args, fSubscriber, sub)
	}
	res, err := createScript.Run(ctx, r.rdb, keys, args...).Int64Slice()
	if err != nil {
		return fmt.Errorf("job %s: writing record: %w", rec.ID, err)
	}
	if res[0] == 0 {
		return fmt.Errorf("client %q has %d jobs accepted or running, the most allowed: %w", rec.Client, res[1], ErrLimit)
	}
	return nil
}

// fTilePrefix starts the record fields holding the progress of running
// tiles: "tile:<i>" = permille done, deleted when the tile is.
const fTilePrefix = "tile:"

// get reads a record; ErrNoSuchJob when it does not exist (or expired).
func (r *records) get(ctx context.Context, id string) (*record, error) {
	fields, err := r.rdb.HGetAll(ctx, r.jobKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("job %s: reading record: %w", id, err)
	}
	return decodeRecord(id, fields)
}

func decodeRecord(id string, f map[string]string) (*record, error) {
	if f[fProcess] == "" {
		return nil, fmt.Errorf("job %s: %w", id, ErrNoSuchJob)
	}
	rec := &record{Job: Job{
		ID:        id,
		ProcessID: f[fProcess],
		Status:    Status(f[fStatus]),
		Message:   f[fMessage],
		Created:   fromMS(f[fCreated]),
		Started:   fromMS(f[fStarted]),
		Finished:  fromMS(f[fFinished]),
		Updated:   fromMS(f[fUpdated]),
		Client:    f[fClient],
	}, Queue: f[fQueue], OutputURL: f[fOutputURL], Fingerprint: f[fFingerprnt], Layout: f[fLayout]}
	rec.Done, _ = strconv.Atoi(f[fDone])
	rec.Total, _ = strconv.Atoi(f[fTotal])
	if s := f[fInputs]; s != "" {
		if err := json.Unmarshal([]byte(s), &rec.Inputs); err != nil {
			return nil, fmt.Errorf("job %s: record inputs: %w", id, err)
		}
	}
	if s := f[fOutputs]; s != "" {
		if err := json.Unmarshal([]byte(s), &rec.Outputs); err != nil {
			return nil, fmt.Errorf("job %s: record outputs: %w", id, err)
		}
	}
	if s := f[fSubscriber]; s != "" {
		rec.Subscriber = new(Subscriber)
		if err := json.Unmarshal([]byte(s), rec.Subscriber); err != nil {
			return nil, fmt.Errorf("job %s: record subscriber: %w", id, err)
		}
	}
	rec.Progress = progress(rec, f)
	return rec, nil
}

// progress is the percentage of the job done: whole tiles plus the
// fractions the running tiles reported. It stays below 100 until the job is
// successful (a tile that runs again after a crash may report twice).
func progress(rec *record, f map[string]string) int {
	switch {
	case rec.Status == StatusSuccessful:
		return 100
	case rec.Total <= 0:
		return 0
	}
	permille := rec.Done * 1000
	for k, v := range f {
		if strings.HasPrefix(k, fTilePrefix) {
			n, _ := strconv.Atoi(v)
			permille += min(max(n, 0), 1000)
		}
	}
	return min(99, permille/(rec.Total*10))
}

// tileProgress records how far a running tile is (0–1).
func (r *records) tileProgress(ctx context.Context, id string, tile int, fraction float64) error {
	n := int(min(max(fraction, 0), 1) * 1000)
	return r.rdb.HSet(ctx, r.jobKey(id), fTilePrefix+strconv.Itoa(tile), n).Err()
}

// transition moves a job to status `to` when its status is one of from,
// atomically, and stamps the times; it reports whether it did. When
// finalGuard is set, the transition also takes the job's finalization guard
// (SET NX) and fails if another finalization holds it: a job is finalized
// exactly once however many workers race to it.
var transitionScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 0 end
local ok = false
for i = 8, #ARGV do if ARGV[i] == st then ok = true end end
if not ok then return 0 end
if ARGV[5] == '1' then
  if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[4]) then return 0 end
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated', ARGV[2], 'message', ARGV[3])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'outputs', ARGV[6]) end
if ARGV[1] == 'running' and not redis.call('HGET', KEYS[1], 'started') then
  redis.call('HSET', KEYS[1], 'started', ARGV[2])
end
if ARGV[1] == 'successful' or ARGV[1] == 'failed' or ARGV[1] == 'dismissed' then
  redis.call('HSET', KEYS[1], 'finished', ARGV[2])
  redis.call('PUBLISH', KEYS[3], ARGV[7])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

type transitionOpts struct {
	message    string
	outputs    map[string]any // set with the transition (successful)
	finalGuard bool
}

func (r *records) transition(ctx context.Context, id string, to Status, o transitionOpts, from ...Status) (bool, error) {
	now := ms(time.Now())
	args := []any{string(to), now, o.message, r.retention.Milliseconds(), "0", "", id}
	if o.finalGuard {
		args[4] = "1"
	}
	if o.outputs != nil {
		out, err := json.Marshal(o.outputs)
		if err != nil {
			return false, fmt.Errorf("job %s: outputs: %w", id, err)
		}
		args[5] = string(out)
	}
	for _, s := range from {
		args = append(args, string(s))
	}
	n, err := transitionScript.Run(ctx, r.rdb, []string{r.jobKey(id), r.finalKey(id), r.doneChannel()}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("job %s: status %s: %w", id, to, err)
	}
	return n == 1, nil
}

// setPlan records the number of tiles and the work's layout once the plan
// task knows them.
func (r *records) setPlan(ctx context.Context, id string, total int, layout string) error {
	err := r.rdb.HSet(ctx, r.jobKey(id), fTotal, total, fLayout, layout, fUpdated, ms(time.Now())).Err()
	if err != nil {
		return fmt.Errorf("job %s: tiles total: %w", id, err)
	}
	return nil
}

// tileDoneScript adds a tile to the done-set and its cost to the stats,
// updates the progress from the set's size (so a tile delivered twice counts
// once), and returns {size, total}.
var tileDoneScript = redis.NewScript(`
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], 'tile:' .. ARGV[1])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[4]) end
local n = redis.call('SCARD', KEYS[2])
redis.call('HSET', KEYS[1], 'done', n, 'updated', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')
return {n, total}
`)

// tileDone records tile i of job id as done and reports whether every tile
// now is.
func (r *records) tileDone(ctx context.Context, id string, i int, stats any) (allDone bool, err error) {
	var st []byte
	if stats != nil {
		st, _ = json.Marshal(stats)
	}
	res, err := tileDoneScript.Run(ctx, r.rdb, []string{r.jobKey(id), r.tilesKey(id), r.statsKey(id)},
		i, ms(time.Now()), r.retention.Milliseconds(), string(st)).Int64Slice()
	if err != nil {
		return false, fmt.Errorf("job %s: tile %d done: %w", id, i, err)
	}
	return res[1] > 0 && res[0] >= res[1], nil
}

// tilesDone returns the set of tiles done.
func (r *records) tilesDone(ctx context.Context, id string) (map[int]bool, error) {
	members, err := r.rdb.SMembers(ctx, r.tilesKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("job %s: tiles done: %w", id, err)
	}
	done := make(map[int]bool, len(members))
	for _, m := range members {
		if i, err := strconv.Atoi(m); err == nil {
			done[i] = true
		}
	}
	return done, nil
}

// tileStats returns the recorded cost of every tile, as JSON by tile index.
func (r *records) tileStats(ctx context.Context, id string) (map[string]string, error) {
	m, err := r.rdb.HGetAll(ctx, r.statsKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("job %s: tile stats: %w", id, err)
	}
	return m, nil
}

// cancel sets the job's cancel flag.
func (r *records) cancel(ctx context.Context, id string) error {
	if err := r.rdb.Set(ctx, r.cancelKey(id), "1", r.retention).Err(); err != nil {
		return fmt.Errorf("job %s: cancel flag: %w", id, err)
	}
	return nil
}

func (r *records) cancelled(ctx context.Context, id string) (bool, error) {
	n, err := r.rdb.Exists(ctx, r.cancelKey(id)).Result()
	return n > 0, err
}

// remove deletes a job's keys and its index entry.
func (r *records) remove(ctx context.Context, id string) error {
	pipe := r.rdb.TxPipeline()
	pipe.Unlink(ctx, r.jobKey(id), r.tilesKey(id), r.statsKey(id), r.finalKey(id))
	pipe.ZRem(ctx, r.indexKey(), id)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("job %s: removing record: %w", id, err)
	}
	return nil
}

// claimFingerprint makes id the job answering requests with fingerprint fp,
// unless another job already is; it returns the job that is.
func (r *records) claimFingerprint(ctx context.Context, fp, id string) (owner string, err error) {
	ok, err := r.rdb.SetNX(ctx, r.fpKey(fp), id, r.retention).Result()
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", fp, err)
	}
	if ok {
		return id, nil
	}
	owner, err = r.rdb.Get(ctx, r.fpKey(fp)).Result()
	if errors.Is(err, redis.Nil) {
		// Expired between the two calls: try once more.
		return r.claimFingerprint(ctx, fp, id)
	}
	return owner, err
}

// releaseFingerprintScript deletes fp:<fingerprint> only if it still names
// the job, so a newer job's claim is never released.
var releaseFingerprintScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

func (r *records) releaseFingerprint(ctx context.Context, fp, id string) error {
	if fp == "" {
		return nil
	}
	return releaseFingerprintScript.Run(ctx, r.rdb, []string{r.fpKey(fp)}, id).Err()
}

// list returns a page of jobs matching f, newest first, and the number
// matching. It walks the time index from the newest job created before f.To
// down to f.From in batches, filtering on the records, so its cost grows
// with the jobs kept (Retention), not with the page.
func (r *records) list(ctx context.Context, f ListFilter) ([]*Job, int, error) {
	idx := r.indexKey()
	cutoff := time.Now().Add(-r.retention).UnixMilli()
	if err := r.rdb.ZRemRangeByScore(ctx, idx, "-inf", "("+strconv.FormatInt(cutoff, 10)).Err(); err != nil {
		return nil, 0, fmt.Errorf("job index: %w", err)
	}
	maxScore, minScore := "+inf", "-inf"
	if !f.To.IsZero() {
		maxScore = strconv.FormatInt(f.To.UnixMilli(), 10)
	}
	if !f.From.IsZero() {
		minScore = strconv.FormatInt(f.From.UnixMilli(), 10)
	}
	procs := map[string]bool{}
	for _, p := range f.ProcessIDs {
		procs[p] = true
	}
	statuses := map[Status]bool{}
	for _, s := range f.Statuses {
		statuses[s] = true
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 10
	}
	var page []*Job
	total := 0
	const batch = 500
	for offset := int64(0); ; offset += batch {
		ids, err := r.rdb.ZRevRangeByScore(ctx, idx, &redis.ZRangeBy{Max: maxScore, Min: minScore, Offset: offset, Count: batch}).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("job index: %w", err)
		}
		pipe := r.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HGetAll(ctx, r.jobKey(id))
		}
		if len(ids) > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, 0, fmt.Errorf("job records: %w", err)
			}
		}
		var gone []any
		for i, id := range ids {
			rec, err := decodeRecord(id, cmds[i].Val())
			if errors.Is(err, ErrNoSuchJob) {
				gone = append(gone, id)
				continue
			}
			if err != nil {
				return nil, 0, err
			}
			if !matches(&rec.Job, f, procs, statuses) {
				continue
			}
			if total >= f.Offset && len(page) < limit {
				page = append(page, &rec.Job)
			}
			total++
		}
		if len(gone) > 0 {
			r.rdb.ZRem(ctx, idx, gone...)
			offset -= int64(len(gone))
		}
		if len(ids) < batch {
			return page, total, nil
		}
	}
}

func matches(j *Job, f ListFilter, procs map[string]bool, statuses map[Status]bool) bool {
	if len(procs) > 0 && !procs[j.ProcessID] {
		return false
	}
	if len(statuses) > 0 && !statuses[j.Status] {
		return false
	}
	if f.MinDuration > 0 || f.MaxDuration > 0 {
		d, ok := j.duration()
		if !ok || (f.MinDuration > 0 && d < f.MinDuration) || (f.MaxDuration > 0 && d > f.MaxDuration) {
			return false
		}
	}
	return true
}

// duration is how long the job ran (so far, when it still runs); false
// when it has not started.
func (j *Job) duration() (time.Duration, bool) {
	if j.Started.IsZero() {
		return 0, false
	}
	end := j.Finished
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(j.Started), true
}
