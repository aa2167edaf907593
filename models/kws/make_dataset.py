"""Generate the synthetic keyword-spotting dataset offline, from espeak-ng speech and noise.

There is no real speech corpus here: every spoken word is synthesized by espeak-ng with a
varied voice (accent x voice variant), speed, pitch and amplitude, then resampled to 16 kHz,
trimmed, placed at a random time in a 1 s clip, given a random level and mixed with white,
pink or brown noise at a random signal-to-noise ratio. "_unknown_" clips are other words
said the same way; "_silence_" clips are noise (or near-digital silence) alone.

Voices are split by *variant* (the espeak voice identity): the validation and test variants
never occur in training, so test accuracy measures voices the model has not heard.

All randomness comes from one seeded numpy generator and espeak-ng is deterministic, so the
output is the same on every run. Writes models/kws/build/dataset.npz (not committed):
features (N, 49, 10) float32, labels (N,) int, split (N,) 0=train 1=val 2=test, label_names.

    python models/kws/make_dataset.py [--out models/kws/build/dataset.npz]
"""

import argparse
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import mfcc

SEED = 20240611
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "build" / "dataset.npz"

KEYWORDS = ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"]
# The MLPerf Tiny KWS class order: the ten keywords alphabetically, then silence, then unknown.
LABELS = KEYWORDS + ["_silence_", "_unknown_"]
SILENCE, UNKNOWN = LABELS.index("_silence_"), LABELS.index("_unknown_")

# Non-keywords for "_unknown_": the Speech Commands auxiliary words plus a few near misses.
UNKNOWN_WORDS = [
    "bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow",
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "backward", "forward", "follow", "learn", "visual",
    "lift", "gone", "note", "of", "own", "bright", "top", "cup", "yet", "town", "test",
]
UNKNOWN_WORDS = sorted(set(UNKNOWN_WORDS))

ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
VARIANTS = [
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt2", "klatt3", "klatt4", "croak", "adam", "Alex", "Alicia", "Andrea", "Andy",
    "Annie", "aunty", "belinda", "benjamin", "boris", "caleb", "david", "ed", "edward", "Gene",
    "iven", "iven2", "john", "linda", "max", "Michael", "Mike", "norbert", "paul", "pedro",
    "quincy", "rob", "robert", "steph", "travis", "victor", "zac", "anika", "grandpa",
    "grandma", "shelby", "sandro", "whisper",
]
VAL_VARIANTS = {"f2", "m6", "benjamin", "Annie", "klatt3", "travis"}
TEST_VARIANTS = {"f4", "m3", "caleb", "linda", "klatt2", "quincy", "grandma"}

UTTERANCES_PER_KEYWORD = 2      # per voice (accent x variant) and keyword
UNKNOWN_PER_VOICE = 3           # per voice, each a random word from UNKNOWN_WORDS
SILENCE_PER_VOICE = 2           # noise-only clips, counted per voice to keep class ratios per split


def split_of(variant: str) -> int:
    return 2 if variant in TEST_VARIANTS else 1 if variant in VAL_VARIANTS else 0


def check_espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        sys.exit("espeak-ng not found: install it (Debian: apt-get install espeak-ng)")
    listed = subprocess.run([exe, "--voices=variant"], capture_output=True, text=True, check=True).stdout
    known = {line.split()[4].removeprefix("!v/") for line in listed.splitlines()[1:] if line.split()}
    missing = sorted(set(VARIANTS) - known)
    if missing:
        sys.exit(f"espeak-ng lacks voice variants {missing}; the dataset would not be reproducible")
    return exe


def parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono 16-bit PCM from espeak-ng's --stdout WAV (its size fields are not reliable)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("espeak-ng did not produce a WAV stream")
    rate = int.from_bytes(data[24:28], "little")
    start = data.index(b"data", 12) + 8
    pcm = np.frombuffer(data[start:start + (len(data) - start) // 2 * 2], dtype="<i2")
    return pcm.astype(np.float64) / 32768.0, rate


def resample(signal: np.ndarray, rate: int) -> np.ndarray:
    """Band-limited resampling to 16 kHz by truncating the spectrum."""
    if rate == mfcc.SAMPLE_RATE:
        return signal
    n_out = int(round(len(signal) * mfcc.SAMPLE_RATE / rate))
    spectrum = np.fft.rfft(signal)[: n_out // 2 + 1]
    return np.fft.irfft(spectrum, n_out) * (n_out / len(signal))


def trim(signal: np.ndarray) -> np.ndarray:
    """Cut leading and trailing silence (10 ms frames below 2% of the peak frame energy)."""
    frame = 160
    usable = len(signal) // frame * frame
    energy = np.sqrt(np.mean(signal[:usable].reshape(-1, frame) ** 2, axis=1))
    loud = np.nonzero(energy > 0.02 * energy.max())[0]
    if loud.size == 0:
        return signal
    return signal[loud[0] * frame:(loud[-1] + 1) * frame]


def synthesize(exe: str, job: dict) -> np.ndarray:
    cmd = [exe, "-v", f"{job['accent']}+{job['variant']}", "-s", str(job["speed"]),
           "-p", str(job["pitch"]), "-a", str(job["amplitude"]), "--stdout", job["word"]]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    signal, rate = parse_wav(out)
    return trim(resample(signal, rate))


def noise(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    """Unit-RMS white, pink (1/f power) or brown (1/f^2 power) noise."""
    white = rng.standard_normal(n)
    if kind != "white":
        spectrum = np.fft.rfft(white)
        freqs = np.maximum(np.arange(spectrum.size), 1)
        spectrum /= np.sqrt(freqs) if kind == "pink" else freqs
        white = np.fft.irfft(spectrum, n)
    return white / np.sqrt(np.mean(white ** 2))


def place_word(rng: np.random.Generator, word: np.ndarray) -> np.ndarray:
    """The word at a random time shift inside 1 s, at a random level, with random noise."""
    clip = np.zeros(mfcc.CLIP_SAMPLES)
    if len(word) > mfcc.CLIP_SAMPLES:
        start = (len(word) - mfcc.CLIP_SAMPLES) // 2
        word = word[start:start + mfcc.CLIP_SAMPLES]
    offset = int(rng.integers(0, mfcc.CLIP_SAMPLES - len(word) + 1))
    peak = np.max(np.abs(word)) or 1.0
    clip[offset:offset + len(word)] = word / peak * 10 ** rng.uniform(-1.3, -0.05)
    speech_rms = np.sqrt(np.mean(word ** 2)) / peak * np.max(np.abs(clip))
    snr_db = rng.uniform(5.0, 40.0)
    kind = rng.choice(["white", "pink", "brown"])
    clip += noise(rng, kind, clip.size) * speech_rms * 10 ** (-snr_db / 20)
    return np.clip(clip, -1.0, 1.0)


def silence_clip(rng: np.random.Generator) -> np.ndarray:
    """Noise only, from near-digital silence (-80 dBFS) to loud background (-15 dBFS)."""
    kind = rng.choice(["white", "pink", "brown"])
    level = 10 ** (rng.uniform(-80.0, -15.0) / 20)
    return np.clip(noise(rng, kind, mfcc.CLIP_SAMPLES) * level, -1.0, 1.0)


def plan(rng: np.random.Generator) -> list[dict]:
    """Every clip to make, with its label, split and all random voice parameters."""
    jobs = []
    for variant in VARIANTS:
        for accent in ACCENTS:
            base = {"accent": accent, "variant": variant, "split": split_of(variant)}
            words = [(label, word) for label, word in enumerate(KEYWORDS)
                     for _ in range(UTTERANCES_PER_KEYWORD)]
            words += [(UNKNOWN, str(rng.choice(UNKNOWN_WORDS))) for _ in range(UNKNOWN_PER_VOICE)]
            for label, word in words:
                jobs.append({**base, "label": label, "word": word,
                             "speed": int(rng.integers(110, 230)),
                             "pitch": int(rng.integers(15, 90)),
                             "amplitude": int(rng.integers(60, 180))})
            jobs += [{**base, "label": SILENCE, "word": None} for _ in range(SILENCE_PER_VOICE)]
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    exe = check_espeak()
    rng = np.random.default_rng(SEED)
    jobs = plan(rng)
    spoken = [job for job in jobs if job["word"] is not None]
    print(f"synthesizing {len(spoken)} utterances with espeak-ng ...", flush=True)
    with ThreadPoolExecutor(max_workers=2) as pool:  # espeak-ng runs as a subprocess
        words = iter(list(pool.map(lambda job: synthesize(exe, job), spoken)))

    # Augmentation draws happen here, in plan order, so they do not depend on thread timing.
    clips = np.stack([place_word(rng, next(words)) if job["word"] is not None else silence_clip(rng)
                      for job in jobs])
    features = np.concatenate([mfcc.mfcc(clips[i:i + 512]) for i in range(0, len(clips), 512)])
    labels = np.array([job["label"] for job in jobs], dtype=np.int64)
    split = np.array([job["split"] for job in jobs], dtype=np.int64)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, features=features, labels=labels, split=split,
                        label_names=np.array(LABELS))
    for part, name in enumerate(("train", "val", "test")):
        counts = np.bincount(labels[split == part], minlength=len(LABELS))
        print(f"{name}: {int((split == part).sum())} clips, per class {counts.tolist()}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
