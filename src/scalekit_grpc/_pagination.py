"""Pagers: iterate a list RPC's items across pages, or ``.pages`` for a page at a time.

A pager is a lazy, re-iterable view of one list call. Creating it does no I/O (the service method
has already validated its arguments and built the first request); each iteration starts again
from that first request. Every page request is sent with the timeout and metadata the pager was
created with, so each page gets the same per-call budget (``DEFAULT`` meaning the client default).

How the next request is found (the "advance" step) is pure logic shared by `Pager` and
`AsyncPager`:

* token paging (`token_advance`): follow ``next_page_token`` until it is empty;
* page-number paging (`page_number_advance`, ListDomains): ask for page n + 1 until a page is
  empty or shorter than the page size.

A server that sends a page token it already sent (or, for page numbers, the very same page
again) would make a naive pager loop forever. Pagers raise `PaginationLoopError` instead:
stopping silently would hand the caller a truncated list that looks complete.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator, Sequence
from typing import Generic, Protocol, TypeVar

from scalekit_grpc.errors import ScalekitError

ItemT = TypeVar("ItemT")
PageT = TypeVar("PageT")
ReqT = TypeVar("ReqT")


class PaginationLoopError(ScalekitError):
    """The server repeated a page token (or a page) it had already sent.

    The pager stops with this error instead of requesting the same pages forever.
    """


class TokenRequest(Protocol):
    """A token-paged list request."""

    page_token: str


class TokenPage(Protocol):
    """A token-paged list response."""

    @property
    def next_page_token(self) -> str: ...


TokenReqT = TypeVar("TokenReqT", bound=TokenRequest)
TokenPageT = TypeVar("TokenPageT", bound=TokenPage)


def token_advance(
    first: TokenRequest,
) -> Callable[[TokenReqT, TokenPageT], TokenReqT | None]:
    """Follow ``next_page_token``; a fresh closure per traversal, since it remembers tokens."""
    seen = {first.page_token} if first.page_token else set()

    def advance(request: TokenReqT, page: TokenPageT) -> TokenReqT | None:
        token = page.next_page_token
        if not token:
            return None
        if token in seen:
            raise PaginationLoopError(
                f"the server sent page token {token[:64]!r} twice; stopping instead of looping"
            )
        seen.add(token)
        following = copy.deepcopy(request)
        following.page_token = token
        return following

    return advance


def page_number_advance(
    *,
    page_size: int,
    first_number: int,
    items: Callable[[PageT], Sequence[ItemT]],
    item_key: Callable[[ItemT], Hashable],
    reported_size: Callable[[PageT], int],
    with_page_number: Callable[[ReqT, int], ReqT],
) -> Callable[[ReqT, PageT], ReqT | None]:
    """Ask for page n + 1 until a page is empty or short (shorter than the page size).

    The page size is the one the server reports on the page when it reports one, else the one
    requested. A full page whose item keys equal the previous page's means the server ignores
    the page number: `PaginationLoopError`. A fresh closure per traversal.
    """
    number = first_number
    previous: tuple[Hashable, ...] | None = None

    def advance(request: ReqT, page: PageT) -> ReqT | None:
        nonlocal number, previous
        found = items(page)
        size = reported_size(page) or page_size
        if not found or len(found) < size:
            return None
        keys = tuple(item_key(item) for item in found)
        if keys == previous:
            raise PaginationLoopError(
                f"the server returned the same page for page numbers {number - 1} and {number}; "
                "stopping instead of looping"
            )
        previous = keys
        number += 1
        return with_page_number(request, number)

    return advance


class Pager(Generic[ItemT, PageT]):
    """Iterate the items of a list RPC across all its pages (sync).

    ``for item in pager`` yields every item; ``for page in pager.pages`` yields each response
    message. Both start from the first page each time they are iterated.

    Raises (while iterating):
        ApiError: a page request failed (the subclass for its status code).
        PaginationLoopError: the server repeated a page token.
    """

    __slots__ = ("_items", "_name", "_walk")

    def __init__(
        self,
        fetch: Callable[[ReqT], PageT],
        first: ReqT,
        items: Callable[[PageT], Sequence[ItemT]],
        new_advance: Callable[[], Callable[[ReqT, PageT], ReqT | None]],
    ) -> None:
        def walk() -> Iterator[PageT]:
            advance = new_advance()
            request: ReqT | None = first
            while request is not None:
                page = fetch(request)
                yield page
                request = advance(request, page)

        self._walk = walk
        self._items = items
        self._name = type(first).__name__

    @property
    def pages(self) -> Iterator[PageT]:
        """The response messages, one page at a time (a new traversal on each access)."""
        return self._walk()

    def __iter__(self) -> Iterator[ItemT]:
        for page in self.pages:
            yield from self._items(page)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over {self._name}>"


class AsyncPager(Generic[ItemT, PageT]):
    """Iterate the items of a list RPC across all its pages (asyncio).

    ``async for item in pager`` yields every item; ``async for page in pager.pages`` yields each
    response message. Both start from the first page each time they are iterated.

    Raises (while iterating):
        ApiError: a page request failed (the subclass for its status code).
        PaginationLoopError: the server repeated a page token.
    """

    __slots__ = ("_items", "_name", "_walk")

    def __init__(
        self,
        fetch: Callable[[ReqT], Awaitable[PageT]],
        first: ReqT,
        items: Callable[[PageT], Sequence[ItemT]],
        new_advance: Callable[[], Callable[[ReqT, PageT], ReqT | None]],
    ) -> None:
        async def walk() -> AsyncIterator[PageT]:
            advance = new_advance()
            request: ReqT | None = first
            while request is not None:
                page = await fetch(request)
                yield page
                request = advance(request, page)

        self._walk = walk
        self._items = items
        self._name = type(first).__name__

    @property
    def pages(self) -> AsyncIterator[PageT]:
        """The response messages, one page at a time (a new traversal on each access)."""
        return self._walk()

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        async for page in self.pages:
            for item in self._items(page):
                yield item

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over {self._name}>"
