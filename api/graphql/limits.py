"""Limits on a GraphQL request, checked before any resolver runs.

Each refusal has one code (docs/api.md):

* ``QUERY_TOO_DEEP`` — a field nested deeper than ``MAX_DEPTH`` levels below the root;
  introspection (``__schema``, ``__type``) is measured on its own, every field counted,
  against ``MAX_INTROSPECTION_DEPTH`` (GraphiQL's introspection query fits);
* ``TOO_MANY_ALIASES`` — more than ``MAX_ALIASES`` aliases, each fragment counted as often
  as it is spread;
* ``TOO_MANY_TOKENS`` — a document of more than ``MAX_TOKENS`` tokens (the parser stops);
* ``QUERY_TOO_COSTLY`` — over ``MAX_COST``. The cost is roughly what the request returns:
  every selected field costs 1 each time it is resolved, that is once per object of its
  parent's type the answer holds (every list field is batched per request, so store calls
  do not grow with page sizes; the objects returned do). A list field holds ``first``
  objects (the variable's value, the literal, or the declared default); a field with a
  ``first`` that returns one object (a connection, a network) passes that page size to
  the lists directly inside it (``edges``, ``members``), so a page is counted once, not
  again for its edges; any other list holds its ``EXPECTED_SIZE`` (``LIST_GUESS`` when
  not listed). A list of scalars is one field (docs/api.md works examples through);
* ``BAD_USER_INPUT`` — ``first`` outside the field's page bounds (``MAX_FIRST``), so one
  request cannot ask for a million rows in small pieces or in one.

Every walk over a document works out each fragment once (per parent type), however often
it is spread: a few hundred tokens of fragments spreading fragments twice would otherwise
cost 2^n steps before any limit answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
    get_named_type,
    validate,
    value_from_ast,
)
from graphql.execution.values import get_variable_values
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension

from api.graphql.document_memo import DocumentMemo

MAX_DEPTH = 8
MAX_INTROSPECTION_DEPTH = 15
MAX_TOKENS = 2000
MAX_ALIASES = 15
MAX_COST = 25_000
LIST_GUESS = 10
# Expected sizes of list fields without a page bound (Type.field): what the cost counts.
EXPECTED_SIZE: Mapping[str, int] = {
    "Customer.holdings": 10,
    "Customer.household": 6,
    "Household.members": 6,
    "CustomerValue.byLine": 6,
    "HouseholdValue.byLine": 6,
}
DEFAULT_MAX_FIRST = 1000
# Page bounds per field coordinate (Type.field, in schema names).
MAX_FIRST: Mapping[str, int] = {
    "Query.customers": 100,
    "Query.searchCustomers": 100,
    "Query.reviewQueue": 500,
    "Query.atRisk": 500,
    "Customer.touchpoints": 500,
    "Customer.trackedItems": 500,
    "Customer.purchases": 500,
    "Customer.nextBestProducts": 20,
    "Customer.network": 500,
    "Household.whiteSpace": 20,
}

TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
TOO_COSTLY = "QUERY_TOO_COSTLY"
BAD_PAGE = "BAD_USER_INPUT"
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


class LimitError(GraphQLError):
    """A request over a limit, refused before execution; ``code`` names the limit."""

    def __init__(self, message: str, code: str, nodes: Any = None) -> None:
        super().__init__(message, nodes, extensions={"code": code})


# ----------------------------------------------------------------------------- depth


class _Heights:
    """How far below a selection set its fields reach (0: leaves only), once per fragment.

    ``ordinary`` counts every field but introspection ones (``__typename`` included, as
    strawberry's depth rule did); ``introspection`` is the deepest field inside a
    ``__schema`` / ``__type`` selection, every field counted, or -1 without one."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, str], int] = {}

    def _deepest(
        self,
        selection: SelectionSetNode,
        walk: Callable[[SelectionSetNode], int],
        field_height: Callable[[FieldNode], int],
        least: int,
    ) -> int:
        """The greatest ``field_height`` of the selection's fields, through inline fragments
        and spreads (each fragment worked out once per walk), or ``least`` without any."""
        deepest = least
        for node in selection.selections:
            if isinstance(node, FieldNode):
                below = field_height(node)
            elif isinstance(node, InlineFragmentNode):
                below = walk(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                below = self._spread(node.name.value, walk)
            else:
                continue
            deepest = max(deepest, below)
        return deepest

    def _spread(self, name: str, walk: Callable[[SelectionSetNode], int]) -> int:
        key = (name, walk.__name__)
        if key not in self.memo:
            fragment = self.fragments.get(name)
            self.memo[key] = -1  # a cycle (refused by validation) ends here
            self.memo[key] = walk(fragment.selection_set) if fragment else -1
        return self.memo[key]

    def ordinary(self, selection: SelectionSetNode) -> int:
        return self._deepest(selection, self.ordinary, self._ordinary_field, 0)

    def _ordinary_field(self, node: FieldNode) -> int:
        if node.name.value.startswith("__"):
            return 0
        return 1 + self.ordinary(node.selection_set) if node.selection_set else 0

    def every(self, selection: SelectionSetNode) -> int:
        return self._deepest(selection, self.every, self._every_field, 0)

    def _every_field(self, node: FieldNode) -> int:
        return 1 + self.every(node.selection_set) if node.selection_set else 0

    def introspection(self, selection: SelectionSetNode) -> int:
        return self._deepest(selection, self.introspection, self._introspection_field, -1)

    def _introspection_field(self, node: FieldNode) -> int:
        inner = node.selection_set
        if node.name.value in INTROSPECTION_ROOTS:
            return 1 + self.every(inner) if inner else 0
        found = self.introspection(inner) if inner else -1
        return 1 + found if found >= 0 else -1


def depth_rule(
    max_depth: int = MAX_DEPTH, max_introspection: int = MAX_INTROSPECTION_DEPTH
) -> type[ASTValidationRule]:
    """A validation rule refusing operations nested deeper than the limits."""

    class DepthRule(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.heights = _Heights(context.document)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            name = node.name.value if node.name else "anonymous"
            if self.heights.ordinary(node.selection_set) > max_depth:
                self.report_error(
                    LimitError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}", TOO_DEEP, node
                    )
                )
            if self.heights.introspection(node.selection_set) > max_introspection:
                self.report_error(
                    LimitError(
                        f"'{name}' exceeds maximum introspection depth of {max_introspection}",
                        TOO_DEEP,
                        node,
                    )
                )

    return DepthRule


# ----------------------------------------------------------------------------- aliases


class _Aliases:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[str, int] = {}

    def count(self, selection: SelectionSetNode) -> int:
        total = 0
        for node in selection.selections:
            if isinstance(node, FieldNode):
                total += node.alias is not None
                total += self.count(node.selection_set) if node.selection_set else 0
            elif isinstance(node, InlineFragmentNode):
                total += self.count(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                total += self._fragment(node.name.value)
        return total

    def _fragment(self, name: str) -> int:
        if name not in self.memo:
            fragment = self.fragments.get(name)
            self.memo[name] = 0  # a cycle (refused by validation) ends here
            self.memo[name] = self.count(fragment.selection_set) if fragment else 0
        return self.memo[name]


def aliases_rule(max_aliases: int = MAX_ALIASES) -> type[ASTValidationRule]:
    """A validation rule refusing documents with more aliases than the limit."""

    class AliasesRule(ASTValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            counter = _Aliases(node)
            total = sum(
                counter.count(d.selection_set)
                for d in node.definitions
                if isinstance(d, OperationDefinitionNode)
            )
            if total > max_aliases:
                self.report_error(
                    LimitError(f"{total} aliases found. Allowed: {max_aliases}", TOO_MANY_ALIASES)
                )

    return AliasesRule


# ----------------------------------------------------------------------------- cost


class _Walk:
    """Counts a selection's cost; ``page`` is the page size a connection passes to the lists
    directly inside it (``None`` elsewhere)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[tuple[str, str, int | None], int] = {}

    def _type(
        self, node: InlineFragmentNode | FragmentDefinitionNode, parent: GraphQLObjectType
    ) -> GraphQLObjectType:
        condition = node.type_condition
        found = self.schema.get_type(condition.name.value) if condition else None
        return found if isinstance(found, GraphQLObjectType) else parent

    def cost(
        self, parent: GraphQLObjectType, selection: SelectionSetNode, page: int | None = None
    ) -> int:
        total = 0
        for node in selection.selections:
            if isinstance(node, FieldNode):
                total += self._field(parent, node, page)
            elif isinstance(node, InlineFragmentNode):
                total += self.cost(self._type(node, parent), node.selection_set, page)
            elif isinstance(node, FragmentSpreadNode):
                total += self._fragment(node.name.value, parent, page)
        return total

    def _fragment(self, name: str, parent: GraphQLObjectType, page: int | None) -> int:
        key = (name, parent.name, page)
        if key not in self.memo:
            fragment = self.fragments.get(name)
            self.memo[key] = 0  # a cycle (refused by validation) ends here
            if fragment is not None:
                self.memo[key] = self.cost(
                    self._type(fragment, parent), fragment.selection_set, page
                )
        return self.memo[key]

    def _field(self, owner: GraphQLObjectType, node: FieldNode, page: int | None) -> int:
        definition = owner.fields.get(node.name.value)
        if definition is None:  # __typename and introspection
            return 1
        coordinate = f"{owner.name}.{node.name.value}"
        first = self._first(coordinate, node, definition)
        child = get_named_type(definition.type)
        if not node.selection_set or not isinstance(child, GraphQLObjectType):
            return 1  # a scalar, an enum or a list of them: one value
        nullable = definition.type
        if isinstance(nullable, GraphQLNonNull):
            nullable = nullable.of_type
        if not isinstance(nullable, GraphQLList):  # one object; a connection passes its page
            return 1 + self.cost(child, node.selection_set, first)
        if first is not None:
            size = first
        elif page is not None:
            size = page
        else:
            size = EXPECTED_SIZE.get(coordinate, LIST_GUESS)
        return 1 + size * self.cost(child, node.selection_set)

    def _first(self, coordinate: str, node: FieldNode, definition: Any) -> int | None:
        if "first" not in definition.args:
            return None
        first = self._argument(node, definition, "first")
        bound = MAX_FIRST.get(coordinate, DEFAULT_MAX_FIRST)
        if not isinstance(first, int) or not 1 <= first <= bound:
            raise LimitError(
                f"{coordinate}: first must be between 1 and {bound}, got {first}", BAD_PAGE
            )
        return first

    def _argument(self, node: FieldNode, definition: Any, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = value_from_ast(argument.value, definition.args[name].type, self.variables)
                if value is not Undefined:
                    return value
        return definition.args[name].default_value


def request_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    """The cost of one operation; raises LimitError when a page size is out of bounds."""
    root = schema.get_root_type(operation.operation)
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables))
    if root is None or isinstance(coerced, list):  # bad variables: execution says why
        return 0
    return _Walk(schema, fragments, coerced.coerced).cost(root, operation.selection_set)


def _pages_from_variables(document: DocumentNode) -> bool:
    """Whether any ``first`` argument in the document is (or holds) a variable: then the
    cost depends on the request's variables."""
    pending = [d.selection_set for d in document.definitions if hasattr(d, "selection_set")]
    while pending:
        for node in pending.pop().selections:
            if isinstance(node, FieldNode):
                for argument in node.arguments or ():
                    if argument.name.value == "first" and _holds_variable(argument.value):
                        return True
            inner = getattr(node, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return False


def _holds_variable(value: Any) -> bool:
    if isinstance(value, VariableNode):
        return True
    inner = [*(getattr(value, "values", None) or ()), *(getattr(value, "fields", None) or ())]
    return any(_holds_variable(getattr(v, "value", v)) for v in inner)


# Operations known to cost no more than the limit whatever the request's variables (no
# page size is a variable), with that cost: a repeated operation's cost is worked out once.
_WITHIN: DocumentMemo[int] = DocumentMemo()


class QueryCostLimiter(SchemaExtension):
    def __init__(self, max_cost: int = MAX_COST) -> None:
        self.max_cost = max_cost

    def on_validate(self) -> Iterator[None]:
        # Strawberry checks for errors before the post-yield half of this hook runs, so the
        # check happens here, on a document already validated (ValidationCache, listed
        # earlier, validates before yielding; without it we validate ourselves).
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = validate(
                context.schema._schema, document, context.validation_rules
            )
        if document is not None and not context.pre_execution_errors:
            try:
                self._check(document)
            except LimitError as refused:
                context.pre_execution_errors = [refused]
        yield

    def _check(self, document: DocumentNode) -> None:
        context = self.execution_context
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        wanted = context.operation_name
        for operation in document.definitions:
            if not isinstance(operation, OperationDefinitionNode):
                continue
            if wanted and (operation.name is None or operation.name.value != wanted):
                continue
            schema = context.schema._schema
            known = _WITHIN.get(operation, schema)
            if known is not None and known <= self.max_cost:
                continue
            cost = request_cost(schema, operation, fragments, context.variables or {})
            if cost > self.max_cost:
                raise LimitError(
                    f"the query would cost {cost}, over the limit of {self.max_cost}: "
                    "ask for smaller pages or fewer nested lists",
                    TOO_COSTLY,
                )
            self._remember(schema, document, operation, fragments)

    def _remember(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> None:
        """Keep an operation whose cost no variables can change and which is within the
        limit: a request with any variables is allowed it (with bad ones it is allowed
        here too, and execution refuses them)."""
        root = schema.get_root_type(operation.operation)
        if root is None or _pages_from_variables(document):
            return
        cost = _Walk(schema, fragments, {}).cost(root, operation.selection_set)
        if cost <= self.max_cost:
            _WITHIN.put(cost, operation, schema)
