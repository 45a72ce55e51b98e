"""Synthetic directories for the matching benchmark, loaded with COPY into a bench database.

Points follow people: most lie in Gaussian clusters around French city centres (wider and
denser for bigger cities), the rest form a uniform background over metropolitan France.
Everything is drawn from a seeded generator, so two runs build the same rows.
"""

import time

import city_network
import numpy as np

# Metropolitan France, and the service area the app is given for the benchmark.
FRANCE = (-5.2, 41.3, 9.6, 51.1)
SERVICE_AREA = "-5.5,41.0,10.0,51.5"

# (name, lat, lon, weight ~ population in 10^4 of the urban area)
CITIES = [
    ("Paris", 48.8566, 2.3522, 1100), ("Lyon", 45.7640, 4.8357, 230),
    ("Marseille", 43.2965, 5.3698, 190), ("Toulouse", 43.6047, 1.4442, 150),
    ("Lille", 50.6292, 3.0573, 150), ("Bordeaux", 44.8378, -0.5792, 140),
    ("Nice", 43.7102, 7.2620, 100), ("Nantes", 47.2184, -1.5536, 100),
    ("Strasbourg", 48.5734, 7.7521, 85), ("Montpellier", 43.6108, 3.8767, 80),
    ("Rennes", 48.1173, -1.6778, 75), ("Grenoble", 45.1885, 5.7245, 70),
    ("Rouen", 49.4432, 1.0999, 66), ("Toulon", 43.1242, 5.9280, 63),
    ("Tours", 47.3941, 0.6848, 50), ("Nancy", 48.6921, 6.1844, 50),
    ("Saint-Étienne", 45.4397, 4.3872, 50), ("Montpellier-Sète", 43.4050, 3.6950, 10),
    ("Clermont-Ferrand", 45.7772, 3.0870, 50), ("Orléans", 47.9029, 1.9093, 45),
    ("Caen", 49.1829, -0.3707, 47), ("Angers", 47.4784, -0.5632, 43),
    ("Dijon", 47.3220, 5.0415, 39), ("Metz", 49.1193, 6.1757, 39),
    ("Reims", 49.2583, 4.0317, 33), ("Brest", 48.3904, -4.4861, 32),
    ("Le Mans", 48.0061, 0.1996, 35), ("Le Havre", 49.4944, 0.1079, 29),
    ("Amiens", 49.8940, 2.2958, 30), ("Limoges", 45.8336, 1.2611, 29),
    ("Perpignan", 42.6887, 2.8948, 33), ("Besançon", 47.2378, 6.0241, 28),
    ("Mulhouse", 47.7508, 7.3359, 28), ("Pau", 43.2951, -0.3708, 24),
    ("Poitiers", 46.5802, 0.3404, 26), ("Avignon", 43.9493, 4.8055, 34),
    ("Bayonne", 43.4929, -1.4748, 31), ("La Rochelle", 46.1603, -1.1511, 22),
    ("Nîmes", 43.8367, 4.3601, 26), ("Ajaccio", 41.9192, 8.7386, 10),
]
CLUSTERED_SHARE = 0.8

RESOURCE_HOURS = [
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Mo-Fr 08:30-17:30; Sa 09:00-12:00; PH off",
    "Tu,Th 14:00-18:00",
    "Mo-Sa 09:00-19:00",
    "24/7",
]
RELAY_AVAILABILITY = ["Mo-Fr 17:00-20:00", "Sa,Su 10:00-18:00", "Mo-Su 08:00-21:00",
                      "We 14:00-18:00; Sa 10:00-12:00"]
LANGUAGES = ["en", "ar", "es", "pt", "tr", "ru", "uk", "ro", "it", "de"]
SKILLS = ["ecoute", "numerique", "demarches", "mobilite", "courses", "francais"]

# (resources, relays); "city": one city on the generated street network (the walking arm).
SIZES = {"small": (5_000, 300), "middle": (140_000, 10_000), "large": (1_000_000, 100_000),
         "city": (5_000, 300)}
# Neighbourhood centres of the city, as fractions of its box (lon, lat), and their spread.
CITY_CENTRES = [(0.5, 0.55), (0.3, 0.3), (0.7, 0.75), (0.8, 0.35)]
CITY_SIGMA_M = 1500.0
DATA_VERSION = "bench-data v1 seed {seed}"


def sample_points(rng, n, *, clustered_share=CLUSTERED_SHARE):
    """Draw n (lon, lat) points: city clusters (sigma grows with size) plus a uniform background."""
    weights = np.array([c[3] for c in CITIES], dtype=float)
    weights /= weights.sum()
    n_clustered = int(round(n * clustered_share))
    city = rng.choice(len(CITIES), size=n_clustered, p=weights)
    lat0 = np.array([c[1] for c in CITIES])[city]
    lon0 = np.array([c[2] for c in CITIES])[city]
    # Built-up radius grows roughly with sqrt(population): ~2 km for a small city, ~11 km for Paris.
    sigma_m = 330.0 * np.sqrt(np.array([c[3] for c in CITIES]))[city]
    # Half the cluster is a dense core, half a wider suburban ring.
    sigma_m = np.where(rng.random(n_clustered) < 0.5, sigma_m * 0.4, sigma_m * 1.5)
    dy = rng.normal(0.0, 1.0, n_clustered) * sigma_m
    dx = rng.normal(0.0, 1.0, n_clustered) * sigma_m
    lat = lat0 + dy / 111_195.0
    lon = lon0 + dx / (111_195.0 * np.cos(np.radians(lat0)))
    min_lon, min_lat, max_lon, max_lat = FRANCE
    n_uniform = n - n_clustered
    lon = np.concatenate([lon, rng.uniform(min_lon, max_lon, n_uniform)])
    lat = np.concatenate([lat, rng.uniform(min_lat, max_lat, n_uniform)])
    order = rng.permutation(n)
    return np.clip(lon[order], min_lon, max_lon), np.clip(lat[order], min_lat, max_lat)


def sample_city_points(rng, n, *, clustered_share=0.6):
    """Draw n (lon, lat) points in the generated city: neighbourhood centres and a uniform
    background, none in a basin (people and services are on land)."""
    min_lon, min_lat, max_lon, max_lat = city_network.area_bbox()
    per_lat = 111_195.0
    per_lon = per_lat * np.cos(np.radians((min_lat + max_lat) / 2))
    lon, lat = [], []
    while len(lon) < n:
        m = 2 * n
        centre = rng.integers(0, len(CITY_CENTRES), m)
        fx = np.array([c[0] for c in CITY_CENTRES])[centre]
        fy = np.array([c[1] for c in CITY_CENTRES])[centre]
        cx = min_lon + fx * (max_lon - min_lon) + rng.normal(0, CITY_SIGMA_M, m) / per_lon
        cy = min_lat + fy * (max_lat - min_lat) + rng.normal(0, CITY_SIGMA_M, m) / per_lat
        clustered = rng.random(m) < clustered_share
        x = np.where(clustered, cx, rng.uniform(min_lon, max_lon, m))
        y = np.where(clustered, cy, rng.uniform(min_lat, max_lat, m))
        for px, py in zip(x, y, strict=True):
            if (min_lon <= px <= max_lon and min_lat <= py <= max_lat
                    and city_network.on_land(px, py)):
                lon.append(px)
                lat.append(py)
    return np.array(lon[:n]), np.array(lat[:n])


def sampler(size):
    """The point sampler of a size: all of France, or the generated city."""
    return sample_city_points if size == "city" else sample_points


def uuids(rng, n):
    raw = rng.bytes(16 * n).hex()
    return [f"{raw[i:i + 8]}-{raw[i + 8:i + 12]}-4{raw[i + 13:i + 16]}-"
            f"a{raw[i + 17:i + 20]}-{raw[i + 20:i + 32]}"
            for i in range(0, 32 * n, 32)]


def _array(items):
    return "{" + ",".join(items) + "}"


def _picks(rng, pool, n, *, low, high):
    """Return n lists of low..high distinct items of pool, as PostgreSQL array literals."""
    pool = list(pool)
    counts = rng.integers(low, high + 1, n)
    idx = rng.integers(0, len(pool), (n, high))
    out = []
    for i in range(n):
        chosen = dict.fromkeys(pool[j] for j in idx[i, :counts[i]])
        out.append(_array(chosen))
    return out


def _copy(cur, table, columns, lines):
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        chunk = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 20_000:
                copy.write("".join(chunk))
                chunk = []
        if chunk:
            copy.write("".join(chunk))


def _secondary_indexes(cur, table):
    cur.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    """, (table,))
    return cur.fetchall()


def loaded_version(conn):
    """Return the data version stamped on the resources table, or None."""
    return conn.execute("SELECT obj_description('resources'::regclass, 'pg_class')").fetchone()[0]


def counts(conn):
    return (conn.execute("SELECT count(*) FROM resources").fetchone()[0],
            conn.execute("SELECT count(*) FROM relays").fetchone()[0])


def load(conn, size, *, seed, categories, audiences, log=print, counts=None,
         points=None):
    """Replace structures, resources and relays by synthetic rows for this size (COPY),
    then ANALYZE.

    `categories` are data·inclusion sub-codes, `audiences` data·inclusion publics;
    `counts` (resources, relays) and `points` (rng, n, clustered_share=) replace the size's
    counts and points (bench/world.py draws Le Havre's).
    """
    n_resources, n_relays = counts or SIZES[size]
    n_structures = max(1, n_resources // 3)
    sample_points_ = points or sampler(size)
    rng = np.random.default_rng(seed)
    started = time.monotonic()
    now = "2025-01-06 10:00:00+00"
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK triggers: rows are consistent
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("TRUNCATE structures, resources, relays CASCADE")
        dropped = []
        for table in ("structures", "resources", "relays"):
            for name, definition in _secondary_indexes(cur, table):
                cur.execute(f"DROP INDEX {name}")
                dropped.append(definition)

        s_ids = uuids(rng, n_structures)
        s_lon, s_lat = sample_points_(rng, n_structures)
        _copy(cur, "structures", ["id", "name", "point", "active", "created_at", "updated_at"],
              (f"{s_ids[i]}\tStructure {i}\tSRID=4326;POINT({s_lon[i]:.6f} {s_lat[i]:.6f})"
               f"\tt\t{now}\t{now}\n"
               for i in range(n_structures)))

        r_ids = uuids(rng, n_resources)
        owner = rng.integers(0, n_structures, n_resources)
        # A resource sits near its structure most of the time, elsewhere (antenna) otherwise.
        r_lon, r_lat = sample_points_(rng, n_resources)
        near = rng.random(n_resources) < 0.7
        jitter = rng.normal(0, 1, (2, n_resources)) * 50 / 111_195.0
        r_lon = np.where(near, s_lon[owner] + jitter[0], r_lon)
        r_lat = np.where(near, s_lat[owner] + jitter[1], r_lat)
        cats = _picks(rng, categories, n_resources, low=1, high=3)
        auds = _picks(rng, audiences, n_resources, low=1, high=2)
        langs = ["{fr}" if x < 0.8 else "{fr," + LANGUAGES[int(x * 1000) % len(LANGUAGES)] + "}"
                 for x in rng.random(n_resources)]
        hours = rng.integers(-1, len(RESOURCE_HOURS), n_resources)
        active = rng.random(n_resources) < 0.97
        located = rng.random(n_resources) < 0.99
        access = rng.integers(0, 3, n_resources)
        saturation = rng.integers(0, 4, n_resources)
        sat_text = ["\\N", "available", "limited", "full"]
        acc_text = ["\\N", "t", "f"]

        def resource_lines():
            for i in range(n_resources):
                point = f"SRID=4326;POINT({r_lon[i]:.6f} {r_lat[i]:.6f})" if located[i] else "\\N"
                oh = RESOURCE_HOURS[hours[i]] if hours[i] >= 0 else "\\N"
                yield (f"{r_ids[i]}\t{s_ids[owner[i]]}\tService {i}\tService de test {i}\t"
                       f"{cats[i]}\t{auds[i]}\t{point}\t{i} rue de l'Exemple\t+33 2 35 00 00 00\t"
                       f"{oh}\t{langs[i]}\t{acc_text[access[i]]}\t{sat_text[saturation[i]]}\t"
                       f"{'t' if active[i] else 'f'}\tbench\t{i}\t{now}\t{now}\n")

        _copy(cur, "resources", ["id", "structure_id", "name", "description", "categories",
                                 "audiences", "point", "address", "phone", "opening_hours",
                                 "languages", "accessible", "saturation", "active", "source",
                                 "source_id", "created_at", "updated_at"], resource_lines())

        v_ids = uuids(rng, n_relays)
        v_lon, v_lat = sample_points_(rng, n_relays, clustered_share=0.9)
        radius = rng.integers(500, 5001, n_relays)
        capacity = rng.integers(1, 6, n_relays)
        load_ = (rng.random(n_relays) * (capacity + 1)).astype(int)  # 0..capacity: some are full
        status = rng.choice(["active", "paused", "ended"], n_relays, p=[0.9, 0.07, 0.03])
        v_langs = _picks(rng, ["fr"] * 6 + LANGUAGES, n_relays, low=1, high=2)
        skills = _picks(rng, SKILLS, n_relays, low=0, high=3)
        avail = rng.integers(-1, len(RELAY_AVAILABILITY), n_relays)

        def relay_lines():
            for i in range(n_relays):
                av = RELAY_AVAILABILITY[avail[i]] if avail[i] >= 0 else "\\N"
                ended = now if status[i] == "ended" else "\\N"
                yield (f"{v_ids[i]}\tRelais {i}\tSRID=4326;POINT({v_lon[i]:.6f} {v_lat[i]:.6f})\t"
                       f"{radius[i]}\t{capacity[i]}\t{load_[i]}\t{v_langs[i]}\t{skills[i]}\t{av}\t"
                       f"{status[i]}\t{now}\t{now}\t{ended}\n")

        _copy(cur, "relays", ["id", "display_name", "point", "radius_m", "capacity",
                              "active_referrals", "languages", "skills", "availability", "status",
                              "created_at", "updated_at", "ended_at"], relay_lines())
        copied = time.monotonic()
        log(f"  COPY {n_structures} structures, {n_resources} resources, {n_relays} relays: "
            f"{copied - started:.1f} s")
        for definition in dropped:
            cur.execute(definition)
        cur.execute(f"COMMENT ON TABLE resources IS {_quote(expected_version(size, seed))}")
        cur.execute("SET session_replication_role = DEFAULT")
    conn.commit()
    log(f"  indexes rebuilt: {time.monotonic() - copied:.1f} s")
    conn.autocommit = True
    conn.execute("VACUUM (ANALYZE) structures")
    conn.execute("VACUUM (ANALYZE) resources")
    conn.execute("VACUUM (ANALYZE) relays")
    log(f"  loaded and analysed in {time.monotonic() - started:.1f} s")


def _quote(text):
    return "'" + text.replace("'", "''") + "'"


def expected_version(size, seed):
    return DATA_VERSION.format(seed=seed) + f" {size}"
