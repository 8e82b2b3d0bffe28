"""The labelled matching set: wanted tracks, what peers offer, and the right choice.

Each case lists realistic peer files (backslash paths as Soulseek peers send them) labelled
`best` (exactly one: what a careful person would download), `ok` (acceptable, not the best) or
`decoy:<kind>` (must never be chosen). `tests/downloads/test_matching_labelled.py` runs every case
through the real `rank_candidates` and reports the first-choice rate and the decoys chosen.

To add a case after a bug: copy the nearest one, reproduce the peer paths from the job's stored
candidates, label the right file `best` and the wrong pick `decoy:<kind>`.
"""

# ruff: noqa: E501 - peer paths are data and stay on one line
from __future__ import annotations

from dataclasses import dataclass, field

from downloads.matching.ranking import PeerStat
from providers.slskd.types import PeerFile, PeerResponse
from providers.types import TrackMeta

BEST, OK = "best", "ok"
_SAME = object()  # "the file reports the wanted length"


@dataclass(frozen=True)
class Peer:
    free: bool = True
    speed: int = 1_500_000  # bytes/s
    queue: int = 0


# The peers of the set: their names say what they are.
PEERS = {
    "vinylhead": Peer(True, 3_000_000, 0),
    "flacfan": Peer(True, 1_200_000, 0),
    "mp3guy": Peer(True, 800_000, 2),
    "tourist": Peer(True, 300_000, 1),
    "nightowl": Peer(False, 2_500_000, 4),
    "snail": Peer(False, 8_000, 30),
    "crowded": Peer(False, 600_000, 180),
    "badpeer": Peer(True, 5_000_000, 0),  # excluded after two failures
    "flaky": Peer(True, 4_000_000, 0),  # one recent failure
    "proven": Peer(True, 900_000, 0),  # many successes
}
PEER_STATS = {
    "badpeer": PeerStat(successes=0, failures=2, excluded=True),
    "flaky": PeerStat(successes=3, failures=1),
    "proven": PeerStat(successes=25, failures=0),
}


@dataclass(frozen=True)
class Offer:
    label: str
    user: str
    file: PeerFile
    locked: bool = False


@dataclass(frozen=True)
class Case:
    name: str
    wanted: TrackMeta
    offers: tuple[Offer, ...]
    blocklist: frozenset[tuple[str, str, int]] = field(default=frozenset())

    def responses(self) -> list[PeerResponse]:
        users = list(dict.fromkeys(offer.user for offer in self.offers))
        result = []
        for user in users:
            peer = PEERS[user]
            mine = [o for o in self.offers if o.user == user]
            result.append(
                PeerResponse(
                    username=user,
                    has_free_upload_slot=peer.free,
                    upload_speed=peer.speed,
                    queue_length=peer.queue,
                    files=tuple(o.file for o in mine if not o.locked),
                    locked_files=tuple(o.file for o in mine if o.locked),
                )
            )
        return result

    @property
    def best(self) -> Offer:
        (best,) = [o for o in self.offers if o.label == BEST]
        return best


def track(title, artist, album="", secs=None, year="", number=None, artists=()):
    return TrackMeta(
        title=title,
        artists=(artist, *artists),
        album=album,
        duration_ms=None if secs is None else secs * 1000,
        release_date=year,
        track_number=number,
    )


def flac(label, user, path, secs, *, length=_SAME, hires=False, size=None, locked=False):
    sample_rate, depth = (96000, 24) if hires else (44100, 16)
    return Offer(
        label,
        user,
        PeerFile(
            filename=path,
            size=size if size is not None else secs * (330_000 if hires else 110_000),
            extension="flac",
            sample_rate=sample_rate,
            bit_depth=depth,
            length=secs if length is _SAME else length,
        ),
        locked=locked,
    )


def mp3(label, user, path, secs, *, kbps=320, vbr=False, length=_SAME, size=None):
    return Offer(
        label,
        user,
        PeerFile(
            filename=path,
            size=size if size is not None else secs * kbps * 125,
            extension="",  # many peers send no extension: the file name decides
            bit_rate=kbps,
            is_variable_bit_rate=vbr,
            length=secs if length is _SAME else length,
        ),
    )


def standard(w: TrackMeta, folder: str, name: str, *decoys: Offer, best_user="vinylhead"):
    """The common shape: a CD-quality FLAC of the album, an MP3 320 copy, plus decoys.

    Decoys come first in the responses (the order slskd returns must not decide anything).
    """
    secs = int(w.duration_ms / 1000)
    artist = w.artist
    return (
        *decoys,
        mp3(OK, "mp3guy", rf"@@mp3s\Music\{artist} - {w.album}\{name}.mp3", secs, length=secs - 1),
        flac(BEST, best_user, rf"@@{best_user}\Music\{artist}\{folder}\{name}.flac", secs),
    )


def d(kind: str) -> str:
    return f"decoy:{kind}"


# The cases read best as one peer file per line, paths unbroken: formatting is off from here on.
# fmt: off
def _cases() -> list[Case]:
    cases: list[Case] = []

    def add(name, wanted, offers, blocklist=()):
        cases.append(Case(name, wanted, tuple(offers), frozenset(blocklist)))

    w = track("Karma Police", "Radiohead", "OK Computer", 264, "1997", 6)
    add("album track with live and remix decoys", w, standard(
        w, "OK Computer (1997) [FLAC]", "06 - Karma Police",
        flac(d("live"), "nightowl", r"@@owl\Radiohead\I Might Be Wrong - Live Recordings (2001)\08 Karma Police.flac", 264),
        mp3(d("remix"), "flacfan", r"@@ff\Electronic\Radiohead - Karma Police (Dubstep Remix).mp3", 301),
        flac(d("wrong_length"), "flacfan", r"@@ff\Radiohead\OK Computer\06 Karma Police.flac", 264, length=231),
    ))

    w = track("Live and Let Die", "Paul McCartney", "Live and Let Die", 192, "1973", 1, artists=("Wings",))
    add("marker word inside the wanted title", w, standard(
        w, "Wings - Live and Let Die (1973)", "01 - Live and Let Die",
        flac(d("live"), "flacfan", r"@@ff\Paul McCartney\Back in the U.S. (Live 2002)\12 - Live and Let Die (Live).flac", 196),
        flac(d("live"), "nightowl", r"@@owl\Wings\Wings Over America [Live]\CD2\05 - Live and Let Die.flac", 190),
    ))

    w = track("Mixtape", "Butch Walker", "Sycamore Meadows", 221, "2008", 4)
    add("title containing 'mix'", w, standard(
        w, "Sycamore Meadows (2008)", "04 Mixtape",
        mp3(d("remix"), "tourist", r"@@t\Butch Walker - Mixtape (Acoustic Mix).mp3", 219),
    ))

    w = track("Bohemian Rhapsody - Live Aid", "Queen", "Live Aid (Live)", 148, "1985", 1)
    add("live wanted: the studio version is a decoy", w, (
        flac(d("studio_not_live"), "vinylhead", r"@@v\Queen\A Night at the Opera (1975)\11 - Bohemian Rhapsody.flac", 355),
        flac(d("studio_not_live"), "flacfan", r"@@ff\Queen\Greatest Hits\01 Bohemian Rhapsody.flac", 150),
        mp3(OK, "mp3guy", r"@@m\Queen\Live Aid 1985\01 Bohemian Rhapsody (Live Aid).mp3", 148, length=156),
        flac(BEST, "nightowl", r"@@owl\Queen\Live Aid (Live) [1985]\01 - Bohemian Rhapsody (Live Aid).flac", 148, length=155),
    ))

    w = track("Don't Start Now - Purple Disco Machine Remix", "Dua Lipa", "Club Future Nostalgia", 338, "2020", 5)
    add("remix wanted: original and another remix are decoys", w, (
        flac(d("original_not_remix"), "vinylhead", r"@@v\Dua Lipa\Future Nostalgia (2020)\02 - Don't Start Now.flac", 183),
        mp3(d("wrong_remix"), "flacfan", r"@@ff\Dua Lipa - Don't Start Now (Kungs Remix).mp3", 198),
        mp3(OK, "mp3guy", r"@@m\Dua Lipa - Club Future Nostalgia\05 Don't Start Now (Purple Disco Machine Remix).mp3", 338),
        flac(BEST, "flacfan", r"@@ff\Dua Lipa\Club Future Nostalgia (2020) [FLAC]\05. Dua Lipa - Don't Start Now (Purple Disco Machine Remix).flac", 338),
    ))

    w = track("Hoppípolla", "Sigur Rós", "Takk...", 268, "2005", 2)
    add("non-ASCII artist and title, folded in one peer's path", w, (
        flac(d("full_queue"), "crowded", r"@@c\Sigur Rós\Takk (2005)\02 Hoppípolla.flac", 268),
        mp3(OK, "mp3guy", r"@@m\Sigur Ros - Takk\02 - Hoppipolla.mp3", 268, kbps=320),
        flac(BEST, "vinylhead", r"@@v\Music\Sigur Rós\Takk... (2005) [FLAC 16-44]\02 - Hoppípolla.flac", 268),
        flac(d("live"), "nightowl", r"@@owl\Sigur Rós\Inni (Live)\CD1\04 Hoppípolla.flac", 270),
    ))

    w = track("Jóga", "Björk", "Homogenic", 305, "1997", 2)
    add("diacritics in artist and title", w, standard(
        w, "Homogenic (1997)", "02 Jóga",
        mp3(d("remix"), "tourist", r"@@t\Björk - Jóga (Howie B Main Mix).mp3", 305),
        flac(d("truncated"), "flacfan", r"@@ff\Bjork\Homogenic\02 Joga.flac", 305, size=4_000_000),
    ))

    w = track("Группа крови", "Кино", "Группа крови", 286, "1988", 1)
    add("Cyrillic artist and title", w, (
        mp3(d("cover"), "tourist", r"@@t\Tribute\Кинопробы - Трибьют Кино\05 - Группа крови (cover).mp3", 290),
        mp3(OK, "mp3guy", r"@@m\Русский рок\Кино\1988 - Группа крови\01 - Группа крови.mp3", 286, kbps=256),
        flac(BEST, "flacfan", r"@@ff\Кино\1988 - Группа крови [FLAC]\01. Группа крови.flac", 286),
        flac(d("locked"), "vinylhead", r"@@v\Кино\Группа крови\01 Группа крови.flac", 286, locked=True),
    ))

    w = track("First Love", "宇多田ヒカル", "First Love", 257, "1999", 3)
    add("Japanese artist name", w, (
        flac(d("wrong_artist"), "vinylhead", r"@@v\J-Pop\Some Other Artist\First Love\03 First Love.flac", 257),
        flac(BEST, "flacfan", r"@@ff\宇多田ヒカル\First Love (1999)\03 First Love.flac", 257),
        mp3(OK, "mp3guy", r"@@m\宇多田ヒカル - First Love\03 - First Love.mp3", 256),
        flac(d("remix"), "nightowl", r"@@owl\宇多田ヒカル\First Love (2014 Remix)\03 First Love (Remix).flac", 257),
    ))

    w = track("Levitating (feat. DaBaby)", "Dua Lipa", "Future Nostalgia", 203, "2020", 5, artists=("DaBaby",))
    add("feat. in the title and in the file name", w, (
        mp3(d("remix"), "vinylhead", r"@@v\Dua Lipa - Levitating (The Blessed Madonna Remix) (feat. Madonna and Missy Elliott).mp3", 284),
        mp3(OK, "mp3guy", r"@@m\Dua Lipa\Future Nostalgia\05 - Levitating.mp3", 203),
        flac(BEST, "flacfan", r"@@ff\Dua Lipa\Future Nostalgia (2020)\05 - Dua Lipa feat. DaBaby - Levitating.flac", 203),
        flac(d("full_queue"), "crowded", r"@@c\Dua Lipa\Future Nostalgia\05 - Levitating (feat. DaBaby).flac", 203),
    ))

    w = track("22", "Taylor Swift", "Red", 232, "2012", 7)
    add("number title; Taylor's Version is another recording", w, standard(
        w, "Red (2012)", "07 - 22",
        flac(d("rerecording"), "flacfan", r"@@ff\Taylor Swift\Red (Taylor's Version)\07 - 22 (Taylor's Version).flac", 230),
        mp3(d("wrong_artist"), "tourist", r"@@t\Various\Hits 2012\22 - Some Band - 22.mp3", 232),
    ))

    w = track("All Too Well (Taylor's Version)", "Taylor Swift", "Red (Taylor's Version)", 329, "2021", 5)
    add("Taylor's Version wanted: the 2012 original is a decoy", w, (
        flac(d("original_not_rerecording"), "vinylhead", r"@@v\Taylor Swift\Red (2012)\05 - All Too Well.flac", 329),
        flac(BEST, "flacfan", r"@@ff\Taylor Swift\Red (Taylor's Version) [2021]\05 - All Too Well (Taylor's Version).flac", 329),
        mp3(OK, "mp3guy", r"@@m\Taylor Swift - Red (Taylor's Version)\05 All Too Well (Taylor's Version).mp3", 329),
    ))

    w = track("i", "Kendrick Lamar", "To Pimp a Butterfly", 336, "2015", 15)
    add("one-letter title", w, (
        mp3(d("wrong_title"), "vinylhead", r"@@v\Kendrick Lamar\To Pimp a Butterfly\14 - How Much a Dollar Cost.mp3", 261),
        flac(d("wrong_version"), "flacfan", r"@@ff\Kendrick Lamar\i (Single 2014)\01 - i.flac", 232),
        flac(BEST, "vinylhead", r"@@v\Kendrick Lamar\To Pimp a Butterfly (2015)\15 - i.flac", 336),
        mp3(OK, "mp3guy", r"@@m\Kendrick Lamar - To Pimp a Butterfly\15. i.mp3", 336, kbps=320),
    ))

    w = track("1979", "The Smashing Pumpkins", "Mellon Collie and the Infinite Sadness", 265, "1995", 5)
    add("year-like title", w, standard(
        w, "Mellon Collie and the Infinite Sadness (1995)\\CD2", "05 - 1979",
        mp3(d("remix"), "tourist", r"@@t\Smashing Pumpkins - 1979 (Vocal Remix).mp3", 265),
        flac(d("wrong_album"), "flacfan", r"@@ff\Smashing Pumpkins\Rotten Apples\04 - 1979.flac", 258, length=None, size=1_900_000),
    ))

    w = track("Dub Be Good to Me", "Beats International", "Let Them Eat Bingo", 280, "1990", 2)
    add("'dub' is part of the title", w, standard(
        w, "Let Them Eat Bingo (1990)", "02 - Dub Be Good to Me",
        mp3(d("remix"), "tourist", r"@@t\Beats International - Dub Be Good To Me (Dub Mix).mp3", 330),
    ))

    w = track("Lightning Crashes", "Live", "Throwing Copper", 325, "1994", 5)
    add("the band is called Live", w, standard(
        w, "Throwing Copper (1994)", "05 - Lightning Crashes",
        flac(d("live"), "nightowl", r"@@owl\Live\Live at the Paradiso\07 Lightning Crashes.flac", 366),
        mp3(d("acoustic"), "tourist", r"@@t\Live - Lightning Crashes (Acoustic).mp3", 323),
    ))

    w = track("Blue Monday", "New Order", "Blue Monday", 449, "1983", 1)
    add("single matched inside a different album", w, standard(
        w, "Blue Monday (1983 12 inch)", "01 - Blue Monday",
        flac(d("wrong_album"), "flacfan", r"@@ff\New Order\Substance (1987)\CD1\04 Blue Monday '88.flac", 249),
        flac(d("wrong_album"), "vinylhead", r"@@v\New Order\Singles (2005)\CD1\04 - Blue Monday.flac", 247),
        mp3(d("remix"), "mp3guy", r"@@m\New Order - Blue Monday (Hardfloor Mix).mp3", 449),
    ))

    w = track("Creep", "Radiohead", "Creep", 236, "1992", 1)
    add("single vs compilation with another length", w, standard(
        w, "Creep (1992 CD Single)", "01 - Creep",
        flac(d("wrong_album"), "nightowl", r"@@owl\Radiohead\Pablo Honey (Collector's Edition)\CD2\07 - Creep (Acoustic).flac", 257),
        mp3(d("cover"), "tourist", r"@@t\Postmodern Jukebox\Radiohead Covers\Creep (Radiohead Cover).mp3", 236),
        flac(d("wrong_artist"), "flacfan", r"@@ff\Stone Temple Pilots\Creep.flac", 333),
    ))

    w = track("Get Lucky", "Daft Punk", "Random Access Memories", 369, "2013", 8, artists=("Pharrell Williams", "Nile Rodgers"))
    add("several credited artists, radio edit decoy", w, standard(
        w, "Random Access Memories (2013) [FLAC]", "08. Get Lucky",
        mp3(d("radio_edit"), "tourist", r"@@t\Daft Punk - Get Lucky (Radio Edit) [feat. Pharrell Williams].mp3", 248),
        flac(d("slow_peer"), "snail", r"@@s\Music\Daft Punk\Random Access Memories\08 Get Lucky.flac", 369),
    ))

    w = track("Get Lucky - Radio Edit", "Daft Punk", "Get Lucky", 248, "2013", 1)
    add("radio edit wanted", w, (
        flac(d("album_not_edit"), "vinylhead", r"@@v\Daft Punk\Random Access Memories\08 Get Lucky.flac", 369),
        mp3(OK, "mp3guy", r"@@m\Daft Punk - Get Lucky (Radio Edit).mp3", 248),
        flac(BEST, "flacfan", r"@@ff\Daft Punk\Get Lucky (Single) [2013]\01 - Get Lucky (Radio Edit).flac", 248),
    ))

    w = track("The Boxer", "Simon & Garfunkel", "Bridge Over Troubled Water", 308, "1970", 2)
    add("ampersand in the artist", w, (
        mp3(OK, "mp3guy", r"@@m\Simon and Garfunkel\Bridge Over Troubled Water\02 The Boxer.mp3", 308),
        flac(BEST, "vinylhead", r"@@v\Simon & Garfunkel\1970 - Bridge Over Troubled Water\02. The Boxer.flac", 308),
        flac(d("live"), "nightowl", r"@@owl\Simon & Garfunkel\The Concert in Central Park\The Boxer (Live).flac", 330),
    ))

    w = track("Back in Black", "AC/DC", "Back in Black", 255, "1980", 6)
    add("slash in the artist", w, (
        flac(d("live"), "flacfan", r"@@ff\AC-DC\Live (1992)\CD2\03 Back in Black.flac", 262),
        flac(BEST, "vinylhead", r"@@v\AC-DC\1980 - Back In Black\06 - Back In Black.flac", 255),
        mp3(OK, "mp3guy", r"@@m\AC_DC - Back in Black\06 Back in Black.mp3", 255),
        mp3(d("karaoke"), "tourist", r"@@t\Karaoke\AC DC - Back In Black (Karaoke Version).mp3", 255),
    ))

    w = track("Here Comes the Sun", "The Beatles", "Abbey Road", 185, "1969", 7)
    add("'The' moved to the end of the artist folder", w, (
        flac(d("demo"), "flacfan", r"@@ff\Beatles, The\Abbey Road (Super Deluxe)\CD3\Here Comes the Sun (Take 9) [Demo].flac", 189),
        flac(BEST, "vinylhead", r"@@v\Beatles, The\Abbey Road (1969) [2009 Remaster]\07 Here Comes the Sun.flac", 185),
        mp3(OK, "mp3guy", r"@@m\The Beatles - Abbey Road\07 Here Comes The Sun.mp3", 186),
        flac(d("cover"), "tourist", r"@@t\Nina Simone\Here Comes the Sun (1971)\01 Here Comes the Sun.flac", 216),
    ))

    w = track("(I Can't Get No) Satisfaction", "The Rolling Stones", "Out of Our Heads", 223, "1965", 7)
    add("leading bracket in the title", w, (
        mp3(d("wrong_artist"), "vinylhead", r"@@v\Dance\Benny Benassi - Satisfaction.mp3", 226),
        flac(BEST, "flacfan", r"@@ff\Rolling Stones\Out of Our Heads (1965)\07 (I Can't Get No) Satisfaction.flac", 223),
        mp3(OK, "mp3guy", r"@@m\The Rolling Stones - Satisfaction.mp3", 223),
        flac(d("live"), "nightowl", r"@@owl\Rolling Stones\Get Yer Ya-Ya's Out!\10 Satisfaction (Live).flac", 345),
    ))

    w = track("Intro", "The xx", "xx", 128, "2009", 1)
    add("short generic title", w, (
        flac(d("wrong_artist"), "vinylhead", r"@@v\M83\Hurry Up, We're Dreaming\01 Intro.flac", 322),
        flac(BEST, "flacfan", r"@@ff\The xx\xx (2009)\01 - Intro.flac", 128),
        mp3(OK, "mp3guy", r"@@m\The XX - xx\01 intro.mp3", 127),
        mp3(d("remix"), "tourist", r"@@t\The xx - Intro (Kygo Remix).mp3", 243),
    ))

    w = track("Clint Eastwood", "Gorillaz", "Gorillaz", 341, "2001", 5)
    add("edit and extended decoys", w, standard(
        w, "Gorillaz (2001)", "05 Clint Eastwood",
        mp3(d("edit"), "tourist", r"@@t\Gorillaz - Clint Eastwood (Edit).mp3", 269),
        flac(d("extended"), "nightowl", r"@@owl\Gorillaz\G-Sides\Clint Eastwood (Extended).flac", 410),
        flac(d("remix"), "flacfan", r"@@ff\Gorillaz\G-Sides\Clint Eastwood (Ed Case Refix).flac", 228),
    ))

    w = track("Blinding Lights", "The Weeknd", "After Hours", 200, "2020", 9)
    add("tiktok-era variants", w, standard(
        w, "After Hours (2020)", "09 - Blinding Lights",
        mp3(d("sped_up"), "tourist", r"@@t\The Weeknd - Blinding Lights (Sped Up).mp3", 165),
        mp3(d("slowed"), "tourist", r"@@t\The Weeknd - Blinding Lights (slowed + reverb).mp3", 200),
        mp3(d("nightcore"), "flacfan", r"@@ff\Nightcore\The Weeknd - Blinding Lights [Nightcore].mp3", 200),
        mp3(d("8d"), "tourist", r"@@t\8D Audio\The Weeknd - Blinding Lights (8D Audio).mp3", 200),
    ))

    w = track("HUMBLE.", "Kendrick Lamar", "DAMN.", 177, "2017", 8)
    add("explicit wanted: clean version is a decoy", w, standard(
        w, "DAMN. (2017)", "08 - HUMBLE.",
        mp3(d("clean"), "tourist", r"@@t\Kendrick Lamar - HUMBLE. (Clean).mp3", 177),
        mp3(d("instrumental"), "tourist", r"@@t\Kendrick Lamar - HUMBLE. (Instrumental).mp3", 177),
    ))

    w = track("Wonderwall", "Oasis", "(What's the Story) Morning Glory?", 258, "1995", 3)
    add("hostile paths", w, standard(
        w, "(What's The Story) Morning Glory (1995)", "03 - Wonderwall",
        flac(d("traversal"), "flacfan", r"@@ff\..\..\Oasis\Morning Glory\03 - Wonderwall.flac", 258),
        flac(d("traversal"), "flacfan", r"@@ff\Oasis\.\03 - Wonderwall.flac", 258),
        flac(d("control_chars"), "tourist", "@@t\\Oasis\\Morning Glory\\03 - Wonder\x00wall.flac", 258),
        Offer(d("not_audio"), "tourist", PeerFile(r"@@t\Oasis\Morning Glory\03 - Wonderwall.flac.jpg", 90_000)),
        Offer(d("not_audio"), "tourist", PeerFile(r"@@t\Oasis\Morning Glory\Wonderwall.lrc", 3_000)),
    ))

    w = track("Teardrop", "Massive Attack", "Mezzanine", 331, "1998", 3)
    blocked = flac(d("blocklisted"), "vinylhead", r"@@v\Music\Massive Attack\Mezzanine (1998)\03 - Teardrop.flac", 331, size=36_000_001)
    add("the best-looking file is blocklisted", w, (
        blocked,
        flac(d("excluded_peer"), "badpeer", r"@@b\Massive Attack\Mezzanine\03 Teardrop.flac", 331),
        flac(BEST, "flacfan", r"@@ff\Massive Attack\Mezzanine (1998) [FLAC]\03. Teardrop.flac", 331),
        mp3(OK, "mp3guy", r"@@m\Massive Attack - Mezzanine\03 - Teardrop.mp3", 330),
    ), blocklist=[(blocked.user, blocked.file.filename, blocked.file.size)])

    w = track("Windowlicker", "Aphex Twin", "Windowlicker", 367, "1999", 1)
    add("reliability: a proven peer beats a faster one that failed", w, (
        flac(OK, "flaky", r"@@fl\Aphex Twin\Windowlicker EP (1999)\01 Windowlicker.flac", 367),
        flac(BEST, "proven", r"@@p\Aphex Twin\Windowlicker (1999)\01 - Windowlicker.flac", 367),
        mp3(OK, "mp3guy", r"@@m\Aphex Twin - Windowlicker.mp3", 367),
        flac(d("excluded_peer"), "badpeer", r"@@b\Aphex Twin\Windowlicker\01 Windowlicker.flac", 367),
        mp3(d("wrong_length"), "tourist", r"@@t\Aphex Twin - Windowlicker (Acid Edit).mp3", 412),
    ))

    w = track("Paranoid Android", "Radiohead", "OK Computer", 387, "1997", 2)
    add("free upload slot beats a faster peer with a queue", w, (
        flac(OK, "nightowl", r"@@owl\Radiohead\OK Computer (1997)\02 Paranoid Android.flac", 387),
        flac(BEST, "flacfan", r"@@ff\Radiohead\OK Computer [1997]\02 - Paranoid Android.flac", 387),
        flac(d("slow_peer"), "snail", r"@@s\Radiohead\OK Computer\02 Paranoid Android.flac", 387),
    ))

    w = track("Hurt", "Johnny Cash", "American IV: The Man Comes Around", 218, "2002", 2)
    add("only lossy copies: MP3 320 beats V0 and 128", w, (
        mp3(d("low_bitrate"), "vinylhead", r"@@v\Johnny Cash\American IV\02 - Hurt.mp3", 218, kbps=128),
        mp3(OK, "flacfan", r"@@ff\Johnny Cash - American IV (2002) [V0]\02 Hurt.mp3", 218, kbps=245, vbr=True),
        mp3(BEST, "mp3guy", r"@@m\Johnny Cash\American IV The Man Comes Around (2002) [320]\02 - Hurt.mp3", 218),
        mp3(d("cover"), "tourist", r"@@t\Nine Inch Nails\Hurt (Johnny Cash cover).mp3", 218),
    ))

    w = track("Pyramid Song", "Radiohead", "Amnesiac", 289, "2001", 2)
    add("only a hi-res FLAC and an MP3", w, (
        mp3(OK, "mp3guy", r"@@m\Radiohead - Amnesiac\02 Pyramid Song.mp3", 289),
        flac(BEST, "flacfan", r"@@ff\Radiohead\Amnesiac (2001) [24-96]\02 - Pyramid Song.flac", 289, hires=True),
        flac(d("truncated"), "vinylhead", r"@@v\Radiohead\Amnesiac\02 Pyramid Song.flac", 289, size=2_500_000),
    ))

    w = TrackMeta(title="Superstition", artists=("Stevie Wonder",), album="Talking Book")
    add("wanted length unknown (text-list import)", w, (
        mp3(d("live"), "tourist", r"@@t\Stevie Wonder - Superstition (Live at Montreux).mp3", 300),
        flac(BEST, "vinylhead", r"@@v\Stevie Wonder\Talking Book (1972)\03 - Superstition.flac", 266),
        mp3(OK, "mp3guy", r"@@m\Stevie Wonder\Talking Book\03 Superstition.mp3", 266),
    ))

    w = track("Smells Like Teen Spirit", "Nirvana", "Nevermind", 301, "1991", 1)
    add("unplugged, rehearsal and demo decoys", w, standard(
        w, "Nevermind (1991) [FLAC]", "01 - Smells Like Teen Spirit",
        flac(d("rehearsal"), "nightowl", r"@@owl\Nirvana\With the Lights Out\CD2\Smells Like Teen Spirit (Rehearsal Demo).flac", 301),
        flac(d("unplugged"), "flacfan", r"@@ff\Nirvana\MTV Unplugged in New York\Smells Like Teen Spirit.flac", 301),
        mp3(d("tribute"), "tourist", r"@@t\Vitamin String Quartet\Tribute to Nirvana\Smells Like Teen Spirit.mp3", 301),
    ))

    w = track("Hallelujah", "Jeff Buckley", "Grace", 414, "1994", 6)
    add("many covers of one song", w, (
        flac(d("wrong_artist"), "vinylhead", r"@@v\Leonard Cohen\Various Positions (1984)\Hallelujah.flac", 278),
        flac(d("wrong_artist"), "flacfan", r"@@ff\Rufus Wainwright\Shrek OST\Hallelujah.flac", 249),
        flac(BEST, "flacfan", r"@@ff\Jeff Buckley\Grace (1994)\06 - Hallelujah.flac", 414),
        mp3(OK, "mp3guy", r"@@m\Jeff Buckley - Grace\06 Hallelujah.mp3", 414),
        flac(d("live"), "nightowl", r"@@owl\Jeff Buckley\Live at Sin-e\Hallelujah.flac", 470),
    ))

    w = track("Strobe", "deadmau5", "For Lack of a Better Name", 637, "2009", 10)
    add("Original Mix is the album version", w, (
        mp3(d("radio_edit"), "tourist", r"@@t\deadmau5 - Strobe (Radio Edit).mp3", 211),
        flac(BEST, "flacfan", r"@@ff\deadmau5\For Lack of a Better Name (2009)\10 - Strobe (Original Mix).flac", 637),
        mp3(OK, "mp3guy", r"@@m\deadmau5 - For Lack Of A Better Name\10 Strobe.mp3", 637),
        mp3(d("remix"), "tourist", r"@@t\deadmau5 - Strobe (Michael Cassette Remix).mp3", 460),
    ))

    w = track("Roads", "Portishead", "Dummy", 305, "1994", 9)
    add("compilation folder with CD subfolder", w, standard(
        w, "Dummy (1994)", "09 - Roads",
        flac(d("live"), "nightowl", r"@@owl\Portishead\Roseland NYC Live\CD1\05 Roads.flac", 312),
        mp3(d("orchestral"), "tourist", r"@@t\Portishead - Roads (Orchestral Version).mp3", 305),
    ))

    w = track("Reprise", "Test Band", "Some Album", 120, "2010", 1)
    add("title that is itself a marker word", w, (
        flac(BEST, "flacfan", r"@@ff\Test Band\Some Album (2010)\01 - Reprise.flac", 120),
        mp3(OK, "mp3guy", r"@@m\Test Band - Some Album\01 Reprise.mp3", 120),
        flac(d("extended"), "vinylhead", r"@@v\Test Band\Some Album\01 - Reprise (Extended).flac", 121),
    ))

    w = track("Viva la Vida", "Coldplay", "Viva la Vida or Death and All His Friends", 242, "2008", 7)
    add("a cappella and piano decoys", w, standard(
        w, "Viva la Vida or Death and All His Friends (2008)", "07 - Viva la Vida",
        mp3(d("a_cappella"), "tourist", r"@@t\Coldplay - Viva La Vida (A Cappella).mp3", 242),
        mp3(d("acapella"), "tourist", r"@@t\Coldplay - Viva La Vida (Acapella).mp3", 242),
        flac(d("piano"), "flacfan", r"@@ff\Piano Covers\Coldplay - Viva la Vida (Piano Version).flac", 242),
    ))

    w = track("Zombie", "The Cranberries", "No Need to Argue", 306, "1994", 4)
    add("re-recorded and stripped decoys", w, standard(
        w, "No Need to Argue (1994)", "04 - Zombie",
        flac(d("rerecorded"), "flacfan", r"@@ff\The Cranberries\Something Else (2017)\Zombie (Re-Recorded).flac", 306),
        mp3(d("stripped"), "tourist", r"@@t\The Cranberries - Zombie (Stripped).mp3", 306),
        mp3(d("session"), "tourist", r"@@t\The Cranberries\BBC Session\Zombie (BBC Session).mp3", 306),
    ))

    w = track("Nothing Compares 2 U", "Sinéad O'Connor", "I Do Not Want What I Haven't Got", 280, "1990", 6)
    add("apostrophe and accent in the artist", w, (
        mp3(OK, "mp3guy", r"@@m\Sinead O'Connor - I Do Not Want What I Haven't Got\06 Nothing Compares 2 U.mp3", 280),
        flac(BEST, "vinylhead", r"@@v\Sinéad O'Connor\I Do Not Want What I Haven't Got (1990)\06 - Nothing Compares 2 U.flac", 280),
        mp3(d("wrong_artist"), "tourist", r"@@t\Prince\The Hits\Nothing Compares 2 U.mp3", 275),
        flac(d("full_queue"), "crowded", r"@@c\Sinead O'Connor\06 Nothing Compares 2 U.flac", 280),
    ))

    w = track("Army of Me", "Björk", "Post", 234, "1995", 1)
    add("m4a (AAC) and ALAC copies", w, (
        Offer(OK, "mp3guy", PeerFile(r"@@m\Bjork - Post\01 Army of Me.m4a", 7_500_000, bit_rate=256, length=234)),
        Offer(BEST, "flacfan", PeerFile(r"@@ff\Björk\Post (1995) [ALAC]\01 Army of Me.m4a", 26_000_000, bit_depth=16, sample_rate=44100, length=234)),
        Offer(d("wrong_length"), "vinylhead", PeerFile(r"@@v\Björk\Post\01 Army of Me.m4a", 27_000_000, bit_depth=16, sample_rate=44100, length=262)),
    ))

    w = track("Everlong", "Foo Fighters", "The Colour and the Shape", 250, "1997", 11)
    add("acoustic decoy and wrong-length album", w, standard(
        w, "The Colour and the Shape (1997)", "11 - Everlong",
        flac(d("acoustic"), "flacfan", r"@@ff\Foo Fighters\Skin and Bones\Everlong (Acoustic).flac", 250),
        flac(d("wrong_length"), "nightowl", r"@@owl\Foo Fighters\Greatest Hits (2009)\02 - Everlong.flac", 231),
    ))

    w = track("Heroes - 2017 Remaster", "David Bowie", '"Heroes"', 371, "1977", 3)
    add("remaster is a preference, not a version", w, (
        mp3(OK, "mp3guy", r"@@m\David Bowie - Heroes\03 Heroes.mp3", 371),
        flac(BEST, "vinylhead", r"@@v\David Bowie\Heroes (2017 Remaster)\03 - Heroes (2017 Remaster).flac", 371),
        flac(OK, "tourist", r"@@t\David Bowie\Heroes (1977)\03 Heroes.flac", 370),
        mp3(d("single_version"), "tourist", r"@@t\David Bowie - Heroes (Single Version).mp3", 214),
    ))

    w = track("Seven Nation Army", "The White Stripes", "Elephant", 232, "2003", 1)
    add("slow peer and full queue hold the only FLACs besides the best", w, standard(
        w, "Elephant (2003)", "01 - Seven Nation Army",
        flac(d("slow_peer"), "snail", r"@@s\The White Stripes\Elephant\01 Seven Nation Army.flac", 232),
        flac(d("full_queue"), "crowded", r"@@c\White Stripes\Elephant (2003)\01 - Seven Nation Army.flac", 232),
        mp3(d("low_bitrate"), "tourist", r"@@t\The White Stripes - Seven Nation Army.mp3", 232, kbps=128),
        mp3(d("dub"), "tourist", r"@@t\The White Stripes - Seven Nation Army (Dub).mp3", 232),
    ))

    w = track("Ain't No Sunshine", "Bill Withers", "Just As I Am", 125, "1971", 3)
    add("short track: truncated and censored decoys", w, standard(
        w, "Just As I Am (1971)", "03 - Ain't No Sunshine",
        mp3(d("truncated"), "flacfan", r"@@ff\Bill Withers - Ain't No Sunshine.mp3", 125, size=900_000),
        mp3(d("censored"), "tourist", r"@@t\Bill Withers - Ain't No Sunshine (Censored).mp3", 125),
        flac(d("new_vocal"), "nightowl", r"@@owl\Bill Withers\Ain't No Sunshine (New Vocal Mix).flac", 125),
    ))

    w = track("Gimme Shelter", "The Rolling Stones", "Let It Bleed", 271, "1969", 1)
    add("tracks without a reported length (accepted) vs reported wrong length", w, (
        flac(d("wrong_length"), "vinylhead", r"@@v\Rolling Stones\Let It Bleed\01 Gimme Shelter.flac", 271, length=300),
        flac(BEST, "flacfan", r"@@ff\The Rolling Stones\Let It Bleed (1969)\01 - Gimme Shelter.flac", 271, length=None),
        mp3(OK, "mp3guy", r"@@m\The Rolling Stones - Let It Bleed\01 Gimme Shelter.mp3", 271, length=None),
    ))

    w = track("Idioteque", "Radiohead", "Kid A", 309, "2000", 8)
    add("MP3 only on good peers, FLAC only on bad ones", w, (
        flac(d("excluded_peer"), "badpeer", r"@@b\Radiohead\Kid A\08 Idioteque.flac", 309),
        flac(d("full_queue"), "crowded", r"@@c\Radiohead\Kid A\08 Idioteque.flac", 309),
        flac(d("locked"), "vinylhead", r"@@v\Radiohead\Kid A (2000)\08 - Idioteque.flac", 309, locked=True),
        mp3(BEST, "mp3guy", r"@@m\Radiohead\Kid A (2000) [320]\08 - Idioteque.mp3", 309),
        mp3(OK, "tourist", r"@@t\Radiohead - Kid A\08 Idioteque.mp3", 309, kbps=245, vbr=True),
    ))

    w = track("Young Man Blues", "The Who", "Live at Leeds", 347, "1970", 1)
    add("track of a live album, album name in the file name", w, (
        flac(d("studio_not_live"), "vinylhead", r"@@v\The Who\Odds & Sods\Young Man Blues.flac", 167),
        flac(BEST, "flacfan", r"@@ff\Rips\The Who - Live at Leeds - 01 - Young Man Blues.flac", 347, length=352),
        mp3(OK, "mp3guy", r"@@m\The Who\Leeds 1970\01 Young Man Blues (Live).mp3", 347, length=341),
        mp3(d("remix"), "tourist", r"@@t\The Who - Young Man Blues (Remix).mp3", 347),
    ))

    w = track("Midnight City", "M83", "Hurry Up, We're Dreaming", 243, "2011", 2)
    add("artist - album - number - title file names", w, (
        mp3(d("remix"), "vinylhead", r"@@v\M83 - Hurry Up, We're Dreaming - 02 - Midnight City (Eric Prydz Private Remix).mp3", 243),
        flac(BEST, "vinylhead", r"@@v\M83 - Hurry Up, We're Dreaming - 02 - Midnight City.flac", 243),
        flac(d("slow_peer"), "snail", r"@@s\M83\Hurry Up We're Dreaming\02 Midnight City.flac", 243),
        mp3(OK, "mp3guy", r"@@m\M83\2011 - Hurry Up, We're Dreaming\CD1\02 - Midnight City.mp3", 244),
    ))

    return cases
# fmt: on


CASES = _cases()
