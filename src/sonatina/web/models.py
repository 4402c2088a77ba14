"""Database rows: users, their songs, generation jobs, API tokens and login attempts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sonatina.web.database import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str] = mapped_column(Text, default="")
    photo_file: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Part of the login id: bumping it (password change) signs out every other session.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    songs: Mapped[list["Song"]] = relationship(back_populates="owner", cascade="all, delete-orphan")
    jobs: Mapped[list["Job"]] = relationship(cascade="all, delete-orphan")
    tokens: Mapped[list["ApiToken"]] = relationship(cascade="all, delete-orphan")

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"


class Job(Base):
    """One generation or conversion request; its id is the task queue's task id."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # The MIDI the job starts from: a primer to continue, or (kind "convert") the piece converted.
    primer_file: Mapped[str | None] = mapped_column(String(120), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default="generate", server_default="generate")  # |convert|regenerate|extend
    # A conversion's source, or the song an edit (regenerate, extend) starts from: one of the
    # owner's songs (NULL once deleted) and the name shown for it.
    source_song_id: Mapped[int | None] = mapped_column(ForeignKey("songs.id", ondelete="SET NULL"), nullable=True)
    source_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    songs: Mapped[list["Song"]] = relationship(back_populates="job", order_by="Song.id",
                                               foreign_keys="Song.job_id")


class Song(Base):
    __tablename__ = "songs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True)
    title: Mapped[str] = mapped_column(String(120))
    model: Mapped[str] = mapped_column(String(80))
    genre: Mapped[str | None] = mapped_column(String(80), nullable=True)
    duration_s: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(BigInteger)
    # Every resolved parameter compose() used (model, genre, tempo, key, instrument, ...).
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    midi_file: Mapped[str] = mapped_column(String(120))
    wav_file: Mapped[str | None] = mapped_column(String(120), nullable=True)
    mp3_file: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # A generated song's primer, or a converted song's source as stored MIDI (kept, so the
    # original still plays beside the conversion after its song is deleted).
    primer_file: Mapped[str | None] = mapped_column(String(120), nullable=True)
    source_song_id: Mapped[int | None] = mapped_column(ForeignKey("songs.id", ondelete="SET NULL"), nullable=True,
                                                       index=True)
    source_name: Mapped[str | None] = mapped_column(String(120), nullable=True)  # song title or file name
    # A regenerated or extended song names the version it was made from (NULL once that is deleted);
    # versions count 1, 2, 3... through a song's family.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("songs.id", ondelete="SET NULL"), nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    owner: Mapped[User] = relationship(back_populates="songs")
    job: Mapped[Job | None] = relationship(back_populates="songs", foreign_keys=[job_id])
    source_song: Mapped["Song | None"] = relationship(remote_side=[id], foreign_keys=[source_song_id])
    parent: Mapped["Song | None"] = relationship(remote_side=[id], foreign_keys=[parent_id])

    @property
    def is_conversion(self) -> bool:
        return (self.settings or {}).get("kind") == "convert"

    def files(self) -> list[str]:
        return [f for f in (self.midi_file, self.wav_file, self.mp3_file) if f]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "model": self.model,
            "genre": self.genre,
            "duration_s": round(self.duration_s, 3),
            "seed": self.seed,
            "settings": self.settings,
            "created_at": self.created_at.isoformat(),
            "job_id": self.job_id,
            "source_song_id": self.source_song_id,
            "source_name": self.source_name,
            "parent_id": self.parent_id,
            "version": self.version,
        }


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        token = "son_" + secrets.token_urlsafe(32)
        return cls(user_id=user.id, name=name, token_hash=cls.hash(token)), token

    @classmethod
    def lookup(cls, session, token: str) -> "ApiToken | None":
        return session.scalar(select(cls).where(cls.token_hash == cls.hash(token)))


class LoginAttempt(Base):
    """A failed login, kept a few minutes to rate-limit guessing per (IP, username)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
