"""Query cost and page-size limits, checked after validation and before any store call.

Cost: every selected field costs 1, times how many times it will be resolved. A field
with a ``first`` argument multiplies what is under it by that page size (the variable's
value, the literal, or the declared default); any other list field multiplies by
``LIST_GUESS``. ``first`` must lie within the field's page bounds (``MAX_FIRST``), so one
request cannot ask for a million rows in small pieces or in one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
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
    get_named_type,
    validate,
    value_from_ast,
)
from graphql.execution.values import get_variable_values
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension

MAX_COST = 25_000
LIST_GUESS = 10
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


class LimitError(GraphQLError):
    """A request over a limit, refused before execution."""


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def fields(
        self, parent: GraphQLObjectType, selection: SelectionSetNode
    ) -> Iterator[tuple[GraphQLObjectType, FieldNode]]:
        for node in selection.selections:
            if isinstance(node, FieldNode):
                yield parent, node
            elif isinstance(node, InlineFragmentNode):
                yield from self.fields(self._type(node, parent), node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                yield from self.fields(self._type(fragment, parent), fragment.selection_set)

    def _type(
        self, node: InlineFragmentNode | FragmentDefinitionNode, parent: GraphQLObjectType
    ) -> GraphQLObjectType:
        condition = node.type_condition
        found = self.schema.get_type(condition.name.value) if condition else None
        return found if isinstance(found, GraphQLObjectType) else parent

    def cost(self, parent: GraphQLObjectType, selection: SelectionSetNode) -> int:
        total = 0
        for owner, node in self.fields(parent, selection):
            name = node.name.value
            definition = owner.fields.get(name)
            if definition is None:  # __typename and introspection
                total += 1
                continue
            times = self._times(owner, node, definition)
            child = get_named_type(definition.type)
            inner = (
                self.cost(child, node.selection_set)
                if node.selection_set and isinstance(child, GraphQLObjectType)
                else 0
            )
            total += 1 + times * inner
        return total

    def _times(self, owner: GraphQLObjectType, node: FieldNode, definition: Any) -> int:
        if "first" in definition.args:
            first = self._argument(node, definition, "first")
            coordinate = f"{owner.name}.{node.name.value}"
            bound = MAX_FIRST.get(coordinate, DEFAULT_MAX_FIRST)
            if not isinstance(first, int) or not 1 <= first <= bound:
                raise LimitError(f"{coordinate}: first must be between 1 and {bound}, got {first}")
            return first
        kind = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else None
        return LIST_GUESS if isinstance(kind or definition.type, GraphQLList) else 1

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
            cost = request_cost(
                context.schema._schema, operation, fragments, context.variables or {}
            )
            if cost > self.max_cost:
                raise LimitError(
                    f"the query would cost {cost}, over the limit of {self.max_cost}: "
                    "ask for smaller pages or fewer nested lists"
                )
