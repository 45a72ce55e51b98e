"""The files of one import (a file, a folder or a zip archive) and how to read their text."""

import csv
import io
import json
import os
import unicodedata
import zipfile
from dataclasses import dataclass, field

# A zip may expand far beyond its own size; refuse archives whose content is too large.
DEFAULT_MAX_EXPANDED = 2 * 1024 ** 3


class FileProblem(Exception):
    """A whole file cannot be read: it stops the import (nothing is written)."""

    def __init__(self, file, message, field=None):
        super().__init__(message)
        self.file = file
        self.message = message
        self.field = field


@dataclass
class FileSet:
    """Named files (base names) with a way to read each one's bytes."""

    label: str
    files: dict = field(default_factory=dict)  # base name → callable returning bytes

    @classmethod
    def from_path(cls, path, *, max_expanded=DEFAULT_MAX_EXPANDED):
        """Read a file, every file of a folder, or every member of a zip archive."""
        path = os.fspath(path)
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if os.path.isfile(os.path.join(path, n))
                           and not n.startswith("."))
            return cls(os.path.basename(os.path.normpath(path)) or path,
                       {n: _file_reader(os.path.join(path, n)) for n in names})
        if not os.path.isfile(path):
            raise FileProblem(os.path.basename(path), "Fichier introuvable.")
        if zipfile.is_zipfile(path):
            return cls.from_zip(path, os.path.basename(path), max_expanded=max_expanded)
        return cls(os.path.basename(path), {os.path.basename(path): _file_reader(path)})

    @classmethod
    def from_zip(cls, source, label, *, max_expanded=DEFAULT_MAX_EXPANDED):
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError):
            raise FileProblem(label, "L'archive zip est illisible ou tronquée.") from None
        members = [info for info in archive.infolist()
                   if not info.is_dir() and "__MACOSX" not in info.filename
                   and not os.path.basename(info.filename).startswith(".")]
        if sum(info.file_size for info in members) > max_expanded:
            raise FileProblem(label, "L'archive décompressée est trop volumineuse.")
        files = {}
        for info in members:
            name = os.path.basename(info.filename)
            if name in files:
                raise FileProblem(label, f"L'archive contient deux fichiers nommés « {name} ».")
            files[name] = _zip_reader(archive, info, label)
        return cls(label, files)

    def names(self):
        return list(self.files)

    def read(self, name):
        return self.files[name]()

    def find(self, *candidates):
        """Return the name of the first file whose base name matches a candidate (any case)."""
        lowered = {n.lower(): n for n in self.files}
        for candidate in candidates:
            if candidate.lower() in lowered:
                return lowered[candidate.lower()]
        return None


def _file_reader(path):
    def read():
        with open(path, "rb") as handle:
            return handle.read()
    return read


def _zip_reader(archive, info, label):
    def read():
        try:
            return archive.read(info)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise FileProblem(label, f"« {info.filename} » est illisible dans l'archive.") from None
    return read


def decode_text(data, name):
    """Decode UTF-8 (with or without BOM); anything else is refused with a clear message."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(name, "Le fichier n'est pas encodé en UTF-8 (octet invalide en position "
                          f"{exc.start}). Enregistrez-le en « CSV UTF-8 » ou en UTF-8.") from None


def load_json(data, name):
    """Parse JSON, reporting where a truncated or malformed document breaks."""
    text = decode_text(data, name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(name, f"JSON invalide ou tronqué (ligne {exc.lineno}, "
                          f"colonne {exc.colno} : {_json_reason(exc.msg)}).") from None
    except RecursionError:
        raise FileProblem(name, "JSON trop profondément imbriqué.") from None


def _json_reason(msg):
    reasons = {
        "Expecting value": "valeur attendue",
        "Expecting ',' delimiter": "virgule attendue",
        "Expecting ':' delimiter": "deux-points attendus",
        "Expecting property name enclosed in double quotes":
            "nom de propriété entre guillemets attendu",
        "Unterminated string starting at": "texte non terminé",
        "Extra data": "contenu en trop après la fin du document",
        "Invalid control character at": "caractère de contrôle interdit",
    }
    return reasons.get(msg, msg)


def detect_separator(first_line):
    """Pick the separator of a CSV header line: the most frequent of ; , and tab."""
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_csv(data, name):
    """Return (header, rows) where rows yields (line number, {column: text}).

    The separator (`;`, `,` or tab) is detected from the header; line numbers are those a
    spreadsheet shows (the header is line 1; a quoted cell over several lines counts them all).
    """
    text = decode_text(data, name)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise FileProblem(name, "Le fichier CSV est vide ou sa première ligne (les en-têtes) "
                          "est vide.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_separator(first_line))
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise FileProblem(name, "Les en-têtes du fichier CSV sont illisibles.") from None
    if len(set(header)) != len(header):
        doubles = sorted({h for h in header if header.count(h) > 1})
        raise FileProblem(name, "Colonnes en double : " + ", ".join(doubles) + ".")

    def rows():
        line = reader.line_num + 1
        try:
            for cells in reader:
                if any(c.strip() for c in cells):
                    if len(cells) != len(header):
                        yield line, {"__cells__": len(cells)}
                    else:
                        yield line, dict(zip(header, cells, strict=True))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise FileProblem(name, f"CSV illisible à la ligne {line} ({exc}).") from None
    return header, rows()


def plain_key(text):
    """Lower-case, accents removed, separators unified: "Téléphone" → "telephone"."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace(" ", "_").replace("-", "_")
