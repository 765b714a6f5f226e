"""The GraphQL object types: query results shown as they are (results.py), and the types
read off stored nodes whose fields resolve through the request's DataLoaders (customer,
household, product instance, catalogue, the customer list, the review queue)."""
