"""A whole synthetic network for the pages benchmark: the directory, territories, people,
referrals with their events, and the accounts that read them, loaded with COPY.

Two worlds, as in the issue that asked for the pages to hold at a big city's scale:
- « city »: 5,000 resources, 300 relays, 2,500 referrals of which 500 are open, and
  7 neighbourhoods, all around Le Havre;
- « national »: 140,000 resources, 10,000 relays, 100,000 referrals of which 20,000 are
  open, and 1,500 neighbourhoods tiling the centres of French cities (bench/synthetic.py's
  cities, by weight), everything drawn over France as the matching benchmark does.

Neighbourhoods are the cells of a jittered lattice around each city centre: neighbours
share their edges exactly (each edge is densified the same way from both sides), so they
tile without gaps or overlaps, as imported outlines of a city's quartiers do. Most people
live in them; the rest, outside every territory, are « hors territoire ».

Accounts (no password: the benchmark opens sessions with the app's secret key):
  bench-territorial@bench.invalid  a coordinator of the neighbourhoods that hold a third of
                                   the open referrals (whole cities, by name)
  bench-citywide@bench.invalid     a coordinator attached to no territory
  bench-admin@bench.invalid        an admin
  bench-social@bench.invalid       a social worker of the structure that received the most
  relay-<n>@bench.invalid          the accounts of the first relays, who reported people
"""

import math
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import synthetic

LE_HAVRE = (0.1079, 49.4944)
WORLDS = {
    # resources, relays, referrals, open referrals, territories
    "city": {"resources": 5_000, "relays": 300, "referrals": 2_500, "open": 500,
             "territories": 7},
    "national": {"resources": 140_000, "relays": 10_000, "referrals": 100_000, "open": 20_000,
                 "territories": 1_500},
}
WORLD_VERSION = "bench-world v1 seed {seed} {name}"
CELL_M = 1_200            # side of a national neighbourhood
CITY_CELL_M = 2_200       # side of one of Le Havre's seven
EDGE_POINTS = 6           # points added along each edge (outlines are not just squares)
OPEN_STATUSES = (("reported", 0.30), ("assigned", 0.20), ("contacted", 0.25),
                 ("referred", 0.15), ("accepted", 0.10))
SENT_BACK_SHARE = 0.4     # of the "contacted" ones: a structure sent them back
NAMES = ["Mireille", "Karim", "Josette", "Amadou", "Lucienne", "Yasmina", "Gérard", "Irina",
         "Fatou", "Marcel", "Nadia", "Roger", "Aïcha", "Odette", "Bogdan", "Colette"]
ACCOUNTS = ("bench-territorial@bench.invalid", "bench-citywide@bench.invalid",
            "bench-admin@bench.invalid", "bench-social@bench.invalid")
N_REPORTERS = 100
METRES_PER_DEGREE = 111_195.0


def le_havre_points(rng, n, *, clustered_share=0.9):
    """Draw n (lon, lat) points in and around Le Havre: a dense core, suburbs, a few beyond."""
    n_near = int(round(n * clustered_share))
    sigma = np.where(rng.random(n_near) < 0.5, 1_200.0, 3_000.0)
    lat = LE_HAVRE[1] + rng.normal(0.0, 1.0, n_near) * sigma / METRES_PER_DEGREE
    lon = LE_HAVRE[0] + rng.normal(0.0, 1.0, n_near) * sigma / (
        METRES_PER_DEGREE * math.cos(math.radians(LE_HAVRE[1])))
    far = n - n_near
    lon = np.concatenate([lon, rng.uniform(-0.05, 0.35, far)])
    lat = np.concatenate([lat, rng.uniform(49.40, 49.60, far)])
    order = rng.permutation(n)
    return lon[order], lat[order]


def _lattice(rng, centre, nx, ny, cell_m):
    """Return the (ny+1, nx+1, 2) jittered lattice of vertices centred on `centre`."""
    lon0, lat0 = centre
    dlat = cell_m / METRES_PER_DEGREE
    dlon = cell_m / (METRES_PER_DEGREE * math.cos(math.radians(lat0)))
    xs = lon0 + (np.arange(nx + 1) - nx / 2) * dlon
    ys = lat0 + (np.arange(ny + 1) - ny / 2) * dlat
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    jitter = rng.uniform(-0.2, 0.2, grid.shape) * np.array([dlon, dlat])
    jitter[0, :, 1] = jitter[-1, :, 1] = 0.0   # the outer edges stay straight
    jitter[:, 0, 0] = jitter[:, -1, 0] = 0.0
    return grid + jitter


def _edge(a, b):
    """The points of the edge a→b, densified the same way whichever side draws it."""
    steps = np.linspace(0.0, 1.0, EDGE_POINTS + 2)[:-1]
    return [tuple(a + (b - a) * t) for t in steps]


def _cell_wkt(grid, i, j):
    corners = [grid[j, i], grid[j, i + 1], grid[j + 1, i + 1], grid[j + 1, i]]
    ring = []
    for k in range(4):
        ring += _edge(corners[k], corners[(k + 1) % 4])
    ring.append(ring[0])
    return "MULTIPOLYGON(((" + ", ".join(f"{x:.7f} {y:.7f}" for x, y in ring) + ")))"


def neighbourhoods(rng, name, n):
    """Return [(name, code, WKT)] of n neighbourhoods tiling city centres."""
    if name == "city":
        grid = _lattice(rng, LE_HAVRE, 3, 3, CITY_CELL_M)
        cells = [(i, j) for j in range(3) for i in range(3) if (i, j) not in {(0, 0), (2, 2)}]
        return [(f"Le Havre — quartier {k + 1}", f"LH{k + 1}", _cell_wkt(grid, i, j))
                for k, (i, j) in enumerate(cells[:n])]
    weights = np.array([c[3] for c in synthetic.CITIES], dtype=float)
    shares = np.maximum(1, np.floor(n * weights / weights.sum())).astype(int)
    shares[0] += n - shares.sum()  # the rest to Paris
    out = []
    for (city, lat, lon, _), count in zip(synthetic.CITIES, shares, strict=True):
        nx = math.ceil(math.sqrt(count))
        ny = math.ceil(count / nx)
        grid = _lattice(rng, (lon, lat), nx, ny, CELL_M)
        cells = [(i, j) for j in range(ny) for i in range(nx)][:count]
        for k, (i, j) in enumerate(cells):
            out.append((f"{city} — quartier {k + 1:03d}", f"{city[:3].upper()}{len(out)}",
                        _cell_wkt(grid, i, j)))
    return out


def _approx(lon, lat, cell_m=200.0):
    """Vectorised geo.privacy.approximate_point: the ~200 m grid cell centre."""
    cell_lat = cell_m / METRES_PER_DEGREE
    centre_lat = (np.floor(lat / cell_lat) + 0.5) * cell_lat
    cell_lon = cell_m / (METRES_PER_DEGREE * np.cos(np.radians(centre_lat)))
    return (np.floor(lon / cell_lon) + 0.5) * cell_lon, centre_lat


def _statuses(rng, n, n_open):
    """Statuses of n referrals, n_open of them open by OPEN_STATUSES, and sent-back flags."""
    names = [s for s, _ in OPEN_STATUSES]
    shares = np.array([p for _, p in OPEN_STATUSES])
    opened = rng.choice(names, n_open, p=shares / shares.sum())
    status = np.array(["closed"] * n, dtype=object)
    status[rng.permutation(n)[:n_open]] = opened
    sent_back = (status == "contacted") & (rng.random(n) < SENT_BACK_SHARE)
    return status, sent_back


def _ts(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


CHAINS = {
    "reported": ["reported"],
    "assigned": ["reported", "assigned"],
    "contacted": ["reported", "assigned", "contacted"],
    "referred": ["reported", "assigned", "contacted", "referred"],
    "accepted": ["reported", "assigned", "contacted", "referred", "accepted"],
}


def _events(status, sent_back, closed_accepted):
    """The (from, to, reason) moves that led a referral to its status."""
    if status == "closed":
        chain = CHAINS["accepted"] if closed_accepted else ["reported"]
        chain = chain + ["closed"]
    else:
        chain = CHAINS[status]
    moves = [(None, chain[0], None)]
    moves += [(a, b, "contact" if b == "contacted" else None)
              for a, b in zip(chain, chain[1:], strict=False)]
    if sent_back:
        moves += [("contacted", "referred", None), ("referred", "contacted", "declined")]
    return moves


def _active_relays(conn):
    return [r[0] for r in conn.execute(
        "SELECT id FROM relays WHERE status = 'active' ORDER BY id").fetchall()]


def _accounts(cur, relay_ids, now):
    """Insert the benchmark's accounts; return {email: id} and the reporters' ids."""
    rows = [(ACCOUNTS[0], "coordinator", "Coordination territoriale (banc)"),
            (ACCOUNTS[1], "coordinator", "Coordination de toute la ville (banc)"),
            (ACCOUNTS[2], "admin", "Administration (banc)"),
            (ACCOUNTS[3], "social_worker", "Travail social (banc)")]
    rows += [(f"relay-{n}@bench.invalid", "relay", f"Relais {n}") for n in range(N_REPORTERS)]
    ids = {}
    for email, role, name in rows:
        ids[email] = cur.execute(
            "INSERT INTO users (id, email, role, display_name, active, session_version, "
            "created_at) VALUES (gen_random_uuid(), %s, %s, %s, true, 1, %s) RETURNING id",
            (email, role, name, now)).fetchone()[0]
    reporters = [ids[f"relay-{n}@bench.invalid"] for n in range(N_REPORTERS)]
    for n, relay_id in enumerate(relay_ids[:N_REPORTERS]):
        cur.execute("UPDATE relays SET user_id = %s WHERE id = %s", (reporters[n], relay_id))
    return ids, reporters


def _territories(cur, rng, name, n):
    items = neighbourhoods(rng, name, n)
    synthetic._copy(cur, "territories", ["id", "name", "code", "area", "created_at"], (
        f"{tid}\t{label}\t{code}\tSRID=4326;{wkt}\t2025-01-01 00:00:00+00\n"
        for tid, (label, code, wkt) in zip(synthetic.uuids(rng, len(items)), items,
                                           strict=True)))


def _people(cur, rng, spec, sampler, reporters, now):
    n_ref = spec["referrals"]
    n_res = int(n_ref * 0.8)
    res_ids = synthetic.uuids(rng, n_res)
    lon, lat = sampler(rng, n_res, clustered_share=0.9)
    alon, alat = _approx(lon, lat)
    names = rng.integers(0, len(NAMES), n_res)
    langs = np.where(rng.random(n_res) < 0.15, "{ar}", "{}")
    reported_by = rng.integers(0, len(reporters), n_res)
    created = [now - timedelta(days=float(d)) for d in rng.uniform(1, 400, n_res)]
    synthetic._copy(cur, "residents", [
        "id", "first_name", "point", "approx_point", "languages", "audiences", "newcomer",
        "consent_at", "consent_by_id", "reported_by_id", "created_at", "updated_at"], (
        f"{res_ids[i]}\t{NAMES[names[i]]}\tSRID=4326;POINT({lon[i]:.6f} {lat[i]:.6f})\t"
        f"SRID=4326;POINT({alon[i]:.6f} {alat[i]:.6f})\t{langs[i]}\t{{}}\t"
        f"{'t' if i % 7 == 0 else 'f'}\t{_ts(created[i])}\t{reporters[reported_by[i]]}\t"
        f"{reporters[reported_by[i]]}\t{_ts(created[i])}\t{_ts(created[i])}\n"
        for i in range(n_res)))
    # The first n_res referrals give each person one need; the others a second one.
    owner = np.concatenate([np.arange(n_res), rng.integers(0, n_res, n_ref - n_res)])
    return res_ids, owner, reported_by


def _referrals(cur, rng, spec, people, relays, resources, reporters, categories, now):
    res_ids, owner, reported_by = people
    n = spec["referrals"]
    ids = synthetic.uuids(rng, n)
    status, sent_back = _statuses(rng, n, spec["open"])
    closed_accepted = rng.random(n) < 0.5
    age = np.where(status == "closed", rng.uniform(0, 365, n), rng.uniform(0, 40, n))
    relay = rng.integers(0, len(relays), n)
    resource = rng.integers(0, len(resources), n)
    category = rng.integers(0, len(categories), n)
    referral_lines, event_lines = [], []
    for i in range(n):
        moves = _events(status[i], sent_back[i], closed_accepted[i])
        changed = now - timedelta(days=float(age[i]))
        created = changed - timedelta(hours=6 * (len(moves) - 1))
        with_relay = status[i] not in ("reported",) and not (
            status[i] == "closed" and not closed_accepted[i])
        with_resource = status[i] in ("referred", "accepted") or (
            status[i] == "closed" and closed_accepted[i])
        relay_id = relays[relay[i]] if with_relay else "\\N"
        resource_id = resources[resource[i]] if with_resource else "\\N"
        outcome = ("helped" if closed_accepted[i] else "no_longer_needed") \
            if status[i] == "closed" else "\\N"
        reporter = reporters[reported_by[owner[i]]]
        referral_lines.append(
            f"{ids[i]}\t{res_ids[owner[i]]}\t{categories[category[i]]}\t{status[i]}\t"
            f"{outcome}\t{relay_id}\t{resource_id}\t{reporter}\t{len(moves)}\t"
            f"{_ts(changed)}\t{_ts(created)}\t{_ts(changed)}\t{_ts(created)}\n")
        for k, (source, target, reason) in enumerate(moves):
            at = created + timedelta(hours=6 * k)
            event_relay = relays[relay[i]] if target == "assigned" else "\\N"
            event_resource = resources[resource[i]] if (
                target == "referred" or (source == "referred" and target == "contacted")) \
                else "\\N"
            event_lines.append(
                f"{ids[i]}\t{_ts(at)}\t{reporter}\t"
                f"{'relay' if k == 0 else 'coordinator'}\t{source or chr(92) + 'N'}\t{target}\t"
                f"{reason or chr(92) + 'N'}\tf\tf\t{event_relay}\t{event_resource}\t"
                f"{outcome if target == 'closed' else chr(92) + 'N'}\n")
    synthetic._copy(cur, "referrals", [
        "id", "resident_id", "category", "status", "outcome", "relay_id", "resource_id",
        "reporter_id", "version", "status_changed_at", "created_at", "updated_at",
        "reported_at"], referral_lines)
    synthetic._copy(cur, "referral_events", [
        "referral_id", "at", "actor_id", "actor_role", "from_status", "to_status", "reason",
        "note_professional", "report_note_shared", "relay_id", "resource_id", "outcome"],
        event_lines)


def _attach_territorial(cur, coordinator_id, name):
    """Attach the territorial coordinator to whole cities' neighbourhoods (by name) until
    they hold a third of the open referrals (one neighbourhood of three for the city)."""
    rows = cur.execute("""
        SELECT t.id, t.name, count(f.id)
        FROM territories t
        LEFT JOIN residents p ON ST_Intersects(p.point, t.area::geography)
        LEFT JOIN referrals f ON f.resident_id = p.id AND f.status <> 'closed'
        GROUP BY t.id, t.name ORDER BY t.name DESC""").fetchall()
    total = cur.execute("SELECT count(*) FROM referrals WHERE status <> 'closed'").fetchone()[0]
    chosen, held = [], 0
    for territory_id, _, count in rows:
        if held >= total / 3:
            break
        if held + count <= 0.4 * total:
            chosen.append(territory_id)
            held += count
    for territory_id in chosen:
        cur.execute("INSERT INTO coordinator_territories (user_id, territory_id) VALUES (%s, %s)",
                    (coordinator_id, territory_id))
    return len(chosen), held, total


def _social_worker(cur, user_id):
    structure = cur.execute("""
        SELECT s.structure_id FROM referrals f JOIN resources s ON s.id = f.resource_id
        GROUP BY s.structure_id ORDER BY count(*) DESC LIMIT 1""").fetchone()[0]
    cur.execute("INSERT INTO structure_members (user_id, structure_id) VALUES (%s, %s)",
                (user_id, structure))


def loaded_version(conn):
    return conn.execute("SELECT obj_description('referrals'::regclass, 'pg_class')").fetchone()[0]


def expected_version(name, seed):
    return WORLD_VERSION.format(seed=seed, name=name)


def load(conn, name, *, seed, categories, audiences, log=print):
    """Replace the whole network by world `name` (COPY), then VACUUM ANALYZE."""
    spec = WORLDS[name]
    sampler = le_havre_points if name == "city" else synthetic.sample_points
    synthetic.load(conn, "small", seed=seed, categories=categories, audiences=audiences, log=log,
                   counts=(spec["resources"], spec["relays"]), points=sampler)
    rng = np.random.default_rng(seed + 7)
    started = time.monotonic()
    now = datetime.now(UTC)
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET bienveilleurs.allow_access_log_truncate = 'on'")
        cur.execute("TRUNCATE residents, referrals, referral_events, contacts, access_log, "
                    "territories, coordinator_territories, structure_members, erased_ids, "
                    "notifications, audit_log CASCADE")
        cur.execute("DELETE FROM users WHERE email LIKE '%%@bench.invalid'")
        relays = _active_relays(conn)
        resources = [r[0] for r in cur.execute(
            "SELECT id FROM resources WHERE active AND point IS NOT NULL ORDER BY id")]
        ids, reporters = _accounts(cur, relays, now)
        _territories(cur, rng, name, spec["territories"])
        people = _people(cur, rng, spec, sampler, reporters, now)
        _referrals(cur, rng, spec, people, relays, resources, reporters, categories, now)
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("ANALYZE territories; ANALYZE residents; ANALYZE referrals")
        picked, held, total = _attach_territorial(cur, ids[ACCOUNTS[0]], name)
        _social_worker(cur, ids[ACCOUNTS[3]])
        stamp = synthetic._quote(expected_version(name, seed))
        cur.execute(f"COMMENT ON TABLE referrals IS {stamp}")
    conn.commit()
    conn.autocommit = True
    for table in ("users", "territories", "residents", "referrals", "referral_events",
                  "coordinator_territories", "relays"):
        conn.execute(f"VACUUM (ANALYZE) {table}")
    log(f"  {spec['territories']} territories, {spec['referrals']} referrals "
        f"({spec['open']} open); the territorial coordinator holds {held} of {total} open "
        f"referrals in {picked} territories; {time.monotonic() - started:.1f} s")
