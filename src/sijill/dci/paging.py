"""The page and the order a search item asks for, checked against what the registry allows."""

from __future__ import annotations

from sijill.dci.criteria import SearchRejectedError, Sort
from sijill.dci.envelope import Pagination, SortItem

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 500
SORTABLE = ("poverty_score", "group_size", "age", "household_id")


def _whole(value: int | float | str, name: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer():
        raise SearchRejectedError(
            "rjct.pagination.invalid",
            f"pagination.{name} must be a whole number, not {value!r}",
            ar=f"يجب أن يكون pagination.{name} عددا صحيحا",
            fr=f"pagination.{name} doit être un nombre entier",
        )
    return int(number)


def parse_pagination(pagination: Pagination | None) -> tuple[int, int]:
    """(page_size, page_number), counted from 1."""
    if pagination is None:
        return DEFAULT_PAGE_SIZE, 1
    size, number = _whole(pagination.page_size, "page_size"), _whole(pagination.page_number, "page_number")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise SearchRejectedError(
            "rjct.pagination.invalid",
            f"pagination.page_size must be between 1 and {MAX_PAGE_SIZE}, not {size}",
            ar=f"يجب أن يكون حجم الصفحة بين 1 و{MAX_PAGE_SIZE}",
            fr=f"La taille de page doit être comprise entre 1 et {MAX_PAGE_SIZE}",
        )
    if number < 1:
        raise SearchRejectedError(
            "rjct.pagination.invalid",
            f"pagination.page_number counts from 1, not {number}",
            ar="ترقيم الصفحات يبدأ من 1",
            fr="Les pages sont numérotées à partir de 1",
        )
    return size, number


def parse_sort(items: list[SortItem]) -> tuple[Sort, ...]:
    sorts = []
    for item in items:
        if item.attribute_name not in SORTABLE:
            raise SearchRejectedError(
                "rjct.sort.invalid",
                f"sort.attribute_name {item.attribute_name!r} is not sortable; use one of {', '.join(SORTABLE)}",
                ar=f"لا يمكن الترتيب حسب {item.attribute_name}",
                fr=f"Tri impossible sur {item.attribute_name}",
            )
        sorts.append(Sort(attribute=item.attribute_name, descending=item.sort_order == "desc"))
    return tuple(sorts)
