"""Queries the admin console sends, shared by the read-path tests."""

LIST_PAGE = """
query ListPage($first: Int!, $after: String) {
  customers(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id reference firstName lastName email phone status tags level
      pointsBalance creditBalance { amount currency } totalRevenue { amount currency } orderCount
      addresses { line1 postalCode city country isDefaultBilling }
      orders(first: 10) { totalCount nodes { reference state placedAt itemCount
                                              grandTotal { amount currency } } }
      pointsHistory(first: 20) { nodes { delta balanceAfter reason createdAt } }
      giftCards { code balance { amount } isActive }
      notes(first: 5) { nodes { body createdAt author { name } } }
    } }
  }
}
"""

DETAIL = """
query Detail($id: ID!) {
  customer(id: $id) {
    id reference externalId accountNumber salutation firstName lastName displayName
    email emailVerified phone company gender dateOfBirth locale city
    idDocument { type number } status registeredAt updatedAt version
    registrationCode referralCode mfa { enabled phone }
    tags priceList discountGroup paymentTerms creditLimit { amount currency }
    branch department commissionReducedPercent
    level pointsBalance creditBalance { amount } totalRevenue { amount } orderCount
    salesRep { id displayName email role }
    mergedInto { id }
    addresses { id firstName lastName line1 line2 postalCode city region country phone }
    defaultBillingAddress { id } defaultShippingAddress { id }
    orders(first: 20) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id reference state placedAt itemCount currency grandTotal { amount }
              lines { sku name quantity unitPrice { amount } total { amount } } } }
    pointsHistory(first: 40) { totalCount nodes { id delta balanceAfter reason source createdAt
                                                  actor { kind name } } }
    creditHistory(first: 20) { totalCount nodes { amount { amount } balanceAfter { amount }
                                                  reason createdAt } }
    giftCards { id code initialBalance { amount } balance { amount } expiresOn isActive }
    notes(first: 10) { totalCount nodes { id body createdAt author { kind name } } }
    events(first: 10) { totalCount nodes { type message createdAt actor { kind name }
                                           changes { field oldValue newValue } } }
    notifications(first: 10) { totalCount nodes { channel kind subject status recipient } }
    memberships { program tier number startedOn isActive }
    customFields { key label type value textValue integerValue decimalValue dateValue
                   booleanValue }
  }
}
"""
