"""Time and memory of `photos.prepare` on 12-megapixel phone JPEGs, against plain Pillow.

Each synthetic photo is 4032×3024 (a 12 MP phone sensor), saved at quality 92 with content JPEG
cannot squeeze much (gradients, blotches, fine detail and per-pixel grain) so it weighs what a
phone's photo weighs, about 4 MB, and carries what a phone writes: EXIF orientation 6 (held
sideways) and a GPS position.

The baseline is what one writes without thinking about it: open → convert("RGB") → thumbnail to
the same long side → save JPEG quality 85. It neither rotates nor strips anything. A third
pipeline does photos.prepare's job with Pillow's ready-made steps (`Image.thumbnail`, then
`ImageOps.exif_transpose`) instead of its own; the steps where the two differ are then timed one
by one, which is what decides whether a hand-written step stays. Every pipeline takes every photo
in turn, alternating which goes first; the medians per photo are printed.

Memory is measured in a fresh process per pipeline, so one's peak cannot hide the other's: how
far the peak resident set rises above the resident set just before the run, with the inputs
already read. The peak is Linux's VmHWM, reset through /proc/self/clear_refs: ru_maxrss cannot
serve, because a spawned child inherits its parent's peak across exec. Pillow allocates pixels
outside Python's allocator, so tracemalloc sees only the Python objects (input and output
bytes); its peak is printed too, for the copies it does see.

    .venv/bin/python bench/photos.py [--photos 10] [--quick]
"""

from __future__ import annotations

import argparse
import io
import math
import multiprocessing
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps, ImageStat

from marketplaces import photos
from marketplaces.base import Condition, Rules
from marketplaces.photos import prepare

WIDTH, HEIGHT = 4032, 3024
RULES = Rules(
    marketplace="ebay",
    display_name="eBay",
    title_max=80,
    description_max=4000,
    photo_max=24,
    photo_min_side=500,
    photo_max_side=1600,
    location_required=False,
    conditions=frozenset(Condition),
)


# ── Inputs ────────────────────────────────────────────────────────────────────────────────────


def synthetic_band(rnd: random.Random) -> Image.Image:
    """One colour channel: a gradient, large blotches, mid-size detail and per-pixel grain."""
    size = (WIDTH, HEIGHT)
    gradient = Image.linear_gradient("L").rotate(rnd.randrange(360)).resize(size)
    blotches = Image.effect_noise((WIDTH // 32, HEIGHT // 32), 90).resize(
        size, Image.Resampling.BICUBIC
    )
    detail = Image.effect_noise((WIDTH // 3, HEIGHT // 3), 60).resize(
        size, Image.Resampling.BILINEAR
    )
    grain = Image.frombytes("L", size, rnd.randbytes(WIDTH * HEIGHT))
    scene = Image.blend(Image.blend(gradient, blotches, 0.55), detail, 0.3)
    return Image.blend(scene, grain, 0.05)


def phone_exif(rnd: random.Random) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Phone", "Phone 12"  # Make, Model
    exif[0x0112] = 6  # held sideways
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (40.0, float(rnd.randrange(60)), 12.5)
    gps[3], gps[4] = "W", (79.0, float(rnd.randrange(60)), 3.25)
    return exif.tobytes()


def phone_jpeg(seed: int) -> bytes:
    """A 12 MP photo as a phone saves it: about 4 MB, sideways, with GPS."""
    rnd = random.Random(seed)
    image = Image.merge("RGB", [synthetic_band(rnd) for _ in range(3)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=phone_exif(rnd))
    return buffer.getvalue()


# ── The two pipelines ─────────────────────────────────────────────────────────────────────────


def plain_pillow(data: bytes) -> bytes:
    """The baseline: what a first attempt with Pillow looks like."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((RULES.photo_max_side, RULES.photo_max_side))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def deal_scout(data: bytes) -> bytes:
    return prepare(data, RULES)


def library_steps(data: bytes) -> bytes:
    """photos.prepare's job (upright, long side fitted, RGB, no metadata) with Pillow's own
    steps: `thumbnail` decodes, reduces and resizes; `exif_transpose` turns it upright."""
    image = Image.open(io.BytesIO(data))
    image.thumbnail((RULES.photo_max_side, RULES.photo_max_side), photos._RESAMPLING)
    upright = ImageOps.exif_transpose(image).convert("RGB")
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=85)  # no exif= : no metadata
    return buffer.getvalue()


PIPELINES: dict[str, Callable[[bytes], bytes]] = {
    "plain Pillow": plain_pillow,
    "photos.prepare": deal_scout,
    "library steps": library_steps,
}


# ── The hand-written steps against the library's, one by one ─────────────────────────────────


def ours_decode_and_fit(data: bytes) -> Image.Image:
    """photos.prepare: JPEG decoded straight at the scale that still covers the fitted size
    (draft to the fitted size itself), then the last step with photos' resampling filter."""
    image = photos._open(data)
    size = photos._fitted_size(image.size, RULES.photo_max_side)
    photos._decode(image, RULES.photo_max_side)
    return photos._fit(photos._to_working_mode(image), size)


def library_decode_and_fit(data: bytes) -> Image.Image:
    """`Image.thumbnail`: it drafts too, but to its square box times reducing_gap."""
    image = Image.open(io.BytesIO(data))
    image.thumbnail((RULES.photo_max_side, RULES.photo_max_side), photos._RESAMPLING)
    return image


def ours_upright(image: Image.Image) -> Image.Image:
    return photos._upright(image, photos._orientation(image))


def library_upright(image: Image.Image) -> Image.Image:
    return ImageOps.exif_transpose(image)


class StepTimes:
    """Each named step's run times; calling it runs a step and returns what the step gave."""

    def __init__(self) -> None:
        self._times: dict[str, list[float]] = {}

    def __call__(self, name: str, step: Callable[[], object]) -> object:
        started = time.perf_counter()
        result = step()
        self._times.setdefault(name, []).append(time.perf_counter() - started)
        return result

    def medians(self) -> dict[str, float]:
        return {name: statistics.median(values) for name, values in self._times.items()}


def step_medians(photos_in: list[bytes]) -> dict[str, float]:
    """Median seconds of each step, both ways, on the same photos (alternating order)."""
    timed = StepTimes()

    for index, data in enumerate(photos_in):
        pairs = [("decode+fit: ours", lambda d=data: ours_decode_and_fit(d)),
                 ("decode+fit: Image.thumbnail", lambda d=data: library_decode_and_fit(d))]
        for name, step in pairs if index % 2 == 0 else pairs[::-1]:
            timed(name, step)
        fitted = library_decode_and_fit(data)  # keeps its EXIF, which exif_transpose reads
        fitted.load()
        pairs = [("upright: ours", lambda f=fitted: ours_upright(f)),
                 ("upright: ImageOps.exif_transpose", lambda f=fitted: library_upright(f))]
        for name, step in pairs if index % 2 == 0 else pairs[::-1]:
            timed(name, step)
    return timed.medians()


# ── Where photos.prepare's time goes, and what the filter choice costs ───────────────────────


def prepare_step_medians(photos_in: list[bytes]) -> dict[str, float]:
    """Median seconds of each of photos.prepare's steps, in its own order, on the same photos."""
    timed = StepTimes()

    for data in photos_in:
        image = photos._open(data)
        size = photos._fitted_size(image.size, RULES.photo_max_side)
        timed("decode at DCT scale", lambda i=image: photos._decode(i, RULES.photo_max_side))
        fitted = timed("fit to the long side", lambda i=image, s=size: photos._fit(
            photos._to_working_mode(i), s))
        orientation = photos._orientation(image)
        upright = timed("upright", lambda f=fitted, o=orientation: photos._upright(f, o))
        timed("encode", lambda u=upright: photos._encode_within(u, RULES))
    return timed.medians()


PREPARE_FILTER = photos._RESAMPLING.name


def stripes_jpeg(period: float) -> bytes:
    """A 12 MP JPEG of vertical grey stripes `period` pixels apart: fine detail a buyer should
    still see once the photo is scaled to 1600 pixels (12 px → 4.8 px there)."""
    row = bytes(round(127.5 + 100 * math.cos(2 * math.pi * x / period)) for x in range(WIDTH))
    image = Image.frombytes("L", (WIDTH, 1), row).resize((WIDTH, HEIGHT)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def stripe_contrast(image: Image.Image) -> float:
    """Standard deviation of one row across the stripes: how much of their contrast is left."""
    row = image.convert("L").crop((0, image.height // 2, image.width, image.height // 2 + 1))
    return ImageStat.Stat(row).stddev[0]


def filter_table(data: bytes) -> list[tuple[str, float, float]]:
    """For each resampling filter: the time of the last scaling step after the DCT-scaled
    decode, and the stripes' contrast it keeps, relative to Lanczos from the full decode."""
    full = Image.open(io.BytesIO(data))
    full.load()
    size = photos._fitted_size(full.size, RULES.photo_max_side)
    reference = stripe_contrast(full.resize(size, Image.Resampling.LANCZOS))
    drafted = Image.open(io.BytesIO(data))
    photos._decode(drafted, RULES.photo_max_side)
    rows = []
    for name in ("BOX", "BILINEAR", "HAMMING", "BICUBIC", "LANCZOS"):
        resampling = Image.Resampling[name]
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            scaled = drafted.resize(size, resampling)
            runs.append(time.perf_counter() - started)
        rows.append((name, statistics.median(runs), stripe_contrast(scaled) / reference))
    return rows


# ── Measuring ─────────────────────────────────────────────────────────────────────────────────


def seconds(pipeline: Callable[[bytes], bytes], data: bytes) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of this thread (Pillow does the work in the calling thread, so
    this is the pipeline's own CPU, whatever else the machine runs), output bytes."""
    started, cpu_started = time.perf_counter(), time.thread_time()
    output = pipeline(data)
    return time.perf_counter() - started, time.thread_time() - cpu_started, len(output)


def time_pipelines(photos: list[bytes]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Every photo through every pipeline, alternating which goes first: wall and CPU times."""
    names = list(PIPELINES)
    timings: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for pipeline in PIPELINES.values():
        pipeline(photos[0])  # warm-up: imports, codec tables, first allocations
    for index, data in enumerate(photos):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            elapsed, used, _ = seconds(PIPELINES[name], data)
            timings[name].append(elapsed)
            cpu[name].append(used)
    return timings, cpu


def memory_status(field: str) -> int:
    """A line of /proc/self/status, in KiB (VmRSS: now; VmHWM: the peak since the last reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def peak_memory(name: str, paths: list[str]) -> tuple[int, int]:
    """In a fresh process: rise of peak RSS (KiB) and tracemalloc peak (bytes) over the run."""
    pipeline = PIPELINES[name]
    photos = [Path(path).read_bytes() for path in paths]
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    rss_before = memory_status("VmRSS")
    tracemalloc.start()
    for data in photos:
        pipeline(data)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return memory_status("VmHWM") - rss_before, traced_peak


def measure_memory(paths: list[str]) -> dict[str, tuple[int, int]]:
    context = multiprocessing.get_context("spawn")
    results = {}
    for name in PIPELINES:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            results[name] = pool.submit(peak_memory, name, paths).result()
    return results


# ── Report ────────────────────────────────────────────────────────────────────────────────────


def report(photos: list[bytes], paths: list[str]) -> None:
    sizes = [len(data) / 1e6 for data in photos]
    print(
        f"{len(photos)} synthetic {WIDTH}×{HEIGHT} JPEGs, {statistics.median(sizes):.1f} MB median "
        f"(range {min(sizes):.1f}–{max(sizes):.1f}), EXIF orientation 6 + GPS; "
        f"long side → {RULES.photo_max_side}"
    )
    timings, cpu = time_pipelines(photos)
    memory = measure_memory(paths)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    for name in PIPELINES:
        rss, traced = memory[name]
        print(
            f"  {name:<15} {medians[name] * 1000:7.1f} ms/photo   "
            f"(range {min(timings[name]) * 1000:.1f}–{max(timings[name]) * 1000:.1f}; "
            f"CPU {cpu_medians[name] * 1000:.1f})   "
            f"peak RSS +{rss / 1024:6.1f} MiB   tracemalloc peak {traced / 1e6:5.1f} MB"
        )
    ratio = medians["photos.prepare"] / medians["plain Pillow"]
    print(f"  ratio photos.prepare / plain Pillow: {ratio:.2f}  "
          f"(photos.prepare {1 / ratio:.2f}× faster; goal ≥ 3)")
    cpu_ratio = cpu_medians["photos.prepare"] / cpu_medians["plain Pillow"]
    print(f"  the same in CPU time: {cpu_ratio:.2f} ({1 / cpu_ratio:.2f}× faster); other work on "
          "the machine moves the wall-time ratio, hardly this one")
    library = medians["library steps"] / medians["photos.prepare"]
    print(f"  ratio library steps / photos.prepare: {library:.2f}")
    output_sizes = [len(deal_scout(data)) / 1e3 for data in photos]
    print(f"  photos.prepare output: {statistics.median(output_sizes):.0f} KB median")
    print("hand-written steps against the library's (medians per photo)")
    for name, seconds_taken in step_medians(photos).items():
        print(f"  {name:<34} {seconds_taken * 1000:7.1f} ms")
    steps = prepare_step_medians(photos)
    print("where photos.prepare's time goes (medians per photo)")
    for name, seconds_taken in steps.items():
        share = seconds_taken / sum(steps.values())
        print(f"  {name:<34} {seconds_taken * 1000:7.1f} ms  {share:4.0%}")
    decode = steps["decode at DCT scale"]
    print(f"  ceiling: plain Pillow / the decode alone = {medians['plain Pillow'] / decode:.2f}× "
          "(libjpeg's Huffman decoding reads every bit whatever the scale)")
    print(f"the last scaling step by filter, {WIDTH // 2} → {RULES.photo_max_side} px wide; "
          "stripes 12 px apart keep this share of the contrast Lanczos from the full decode keeps")
    for name, seconds_taken, kept in filter_table(stripes_jpeg(12)):
        mark = "  ← photos.prepare" if name == PREPARE_FILTER else ""
        print(f"  {name:<9} {seconds_taken * 1000:6.1f} ms   contrast {kept:4.0%}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10, help="how many photos (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 photos, for a fast check")
    args = parser.parse_args()
    count = 3 if args.quick else args.photos
    photos = [phone_jpeg(seed) for seed in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, data in enumerate(photos):
            path = Path(folder) / f"photo{index}.jpg"
            path.write_bytes(data)
            paths.append(str(path))
        report(photos, paths)


if __name__ == "__main__":
    main()
