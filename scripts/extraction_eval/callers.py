"""The names (and, for a JSON request, the descriptions) a caller gives the fields it asks for: the way
an integrator names them in its own code or spreadsheet, in snake_case, camelCase, Korean or plain
English words. Independent of the service's templates: a caller has never seen them."""

from __future__ import annotations

import json
import random

TYPES = {"date": "date", "due_date": "date", "open_date": "date", "total": "amount", "subtotal": "amount",
         "tax": "amount", "biz_number": "biz_number", "buyer_biz_number": "biz_number", "phone": "phone",
         "email": "email", "doc_number": "id", "approval_number": "id", "card_number": "id", "corp_number": "id",
         "vendor": "text", "buyer": "text", "address": "text", "representative": "text", "company": "text",
         "buyer_representative": "text", "business_type": "text", "business_item": "text"}  # fmt: skip

STYLES = ("snake", "camel", "ko", "plain")

# concept (or concept/kind) -> style -> names
NAMES: dict[str, dict[str, list[str]]] = {
    "total": {"snake": ["total_amount", "total", "amount_due", "grand_total", "total_price", "invoice_total"],
              "camel": ["totalAmount", "grandTotal", "amountDue", "total"],
              "ko": ["합계금액", "총액", "결제금액", "합계", "총금액"],
              "plain": ["Total", "Total Amount", "Amount Due", "Grand Total"]},
    "total/receipt": {"snake": ["total", "total_amount", "paid_amount", "total_paid"],
                      "camel": ["totalAmount", "totalPaid", "paymentAmount"],
                      "ko": ["결제금액", "합계금액", "총액", "합계"], "plain": ["Total", "Amount Paid"]},
    "subtotal": {"snake": ["subtotal", "net_amount", "supply_amount", "amount_before_tax"],
                 "camel": ["subTotal", "netAmount", "supplyAmount"], "ko": ["공급가액", "소계"],
                 "plain": ["Subtotal", "Net Amount"]},
    "tax": {"snake": ["tax", "vat_amount", "tax_amount", "vat"], "camel": ["taxAmount", "vatAmount"],
            "ko": ["세액", "부가세"], "plain": ["Tax", "VAT"]},
    "date": {"snake": ["issue_date", "invoice_date", "date"], "camel": ["issuedAt", "invoiceDate", "issueDate"],
             "ko": ["발행일", "작성일자", "청구일자"], "plain": ["Date", "Invoice Date"]},
    "date/receipt": {"snake": ["date", "transaction_date", "purchase_date", "receipt_date"],
                     "camel": ["transactionDate", "purchasedAt", "date"], "ko": ["거래일시", "결제일", "거래일자"],
                     "plain": ["Date", "Purchase Date"]},
    "date/tax_invoice": {"snake": ["issue_date", "date", "write_date", "supply_date"],
                         "camel": ["issueDate", "writtenAt"], "ko": ["작성일자", "발행일"], "plain": ["Date", "Issue Date"]},
    "date/statement": {"snake": ["date", "transaction_date", "statement_date"], "camel": ["transactionDate", "statementDate"],
                       "ko": ["거래일자", "일자"], "plain": ["Date", "Transaction Date"]},
    "date/biz_reg": {"snake": ["issue_date", "issued_on", "date_of_issue"], "camel": ["issueDate", "issuedAt"],
                     "ko": ["발급일", "발급일자"], "plain": ["Date of Issue", "Issue Date"]},
    "due_date": {"snake": ["due_date", "payment_due", "due"], "camel": ["dueDate", "paymentDueDate"],
                 "ko": ["납부기한", "지급기한"], "plain": ["Due Date"]},
    "doc_number": {"snake": ["invoice_number", "invoice_no", "invoice_id"],
                   "camel": ["invoiceNo", "invoiceNumber", "invoiceId"], "ko": ["청구서번호", "문서번호", "인보이스번호"],
                   "plain": ["Invoice Number", "Invoice No"]},
    "doc_number/receipt": {"snake": ["receipt_number", "receipt_no", "transaction_id"],
                           "camel": ["receiptNo", "receiptNumber", "transactionId"], "ko": ["영수증번호", "거래번호"],
                           "plain": ["Receipt Number"]},
    "doc_number/statement": {"snake": ["statement_number", "document_number", "doc_no"],
                             "camel": ["statementNo", "documentNumber"], "ko": ["명세서번호", "문서번호"],
                             "plain": ["Statement Number", "Document No"]},
    "approval_number": {"snake": ["approval_number", "approval_no", "auth_code"], "camel": ["approvalNo", "authCode"],
                        "ko": ["승인번호", "카드승인번호"], "plain": ["Approval Number", "Auth Code"]},
    "approval_number/tax_invoice": {"snake": ["approval_number", "nts_approval_no", "issue_number"],
                                    "camel": ["approvalNumber", "ntsApprovalNo"], "ko": ["승인번호", "국세청승인번호"],
                                    "plain": ["Approval Number"]},
    "vendor": {"snake": ["vendor_name", "supplier", "seller_name", "vendor", "supplier_name"],
               "camel": ["vendorName", "supplierName", "sellerName"], "ko": ["공급자", "판매자", "공급자상호"],
               "plain": ["Vendor", "Supplier", "Seller"]},
    "vendor/receipt": {"snake": ["merchant_name", "store_name", "vendor_name", "merchant"],
                       "camel": ["merchantName", "storeName", "vendorName"], "ko": ["가맹점명", "상호", "매장명"],
                       "plain": ["Merchant", "Store"]},
    "buyer": {"snake": ["customer_name", "buyer", "buyer_name", "bill_to", "recipient"],
              "camel": ["customerName", "buyerName", "billTo"], "ko": ["공급받는자", "구매자", "거래처", "고객명"],
              "plain": ["Customer", "Buyer", "Bill To"]},
    "biz_number": {"snake": ["business_registration_number", "biz_no", "brn", "business_number", "registration_number"],
                   "camel": ["bizNo", "businessNumber", "brn", "registrationNumber"],
                   "ko": ["사업자등록번호", "사업자번호", "등록번호"], "plain": ["Business Registration Number", "BRN"]},
    "buyer_biz_number": {"snake": ["buyer_biz_no", "buyer_brn", "customer_business_number"],
                         "camel": ["buyerBizNo", "buyerBrn"], "ko": ["공급받는자 사업자번호", "공급받는자등록번호"],
                         "plain": ["Buyer Registration Number", "Buyer BRN"]},
    "phone": {"snake": ["phone", "phone_number", "tel", "contact_phone"], "camel": ["phoneNumber", "tel", "contactPhone"],
              "ko": ["전화번호", "연락처", "전화"], "plain": ["Phone", "Telephone"]},
    "email": {"snake": ["email", "email_address", "contact_email"], "camel": ["emailAddress", "email"],
              "ko": ["이메일", "전자우편"], "plain": ["Email", "E-mail"]},
    "address": {"snake": ["address", "vendor_address", "business_address"], "camel": ["businessAddress", "vendorAddress"],
                "ko": ["주소", "사업장주소", "소재지"], "plain": ["Address", "Business Address"]},
    "address/biz_reg": {"snake": ["address", "business_address", "location"], "camel": ["businessAddress", "location"],
                        "ko": ["사업장 소재지", "소재지", "주소"], "plain": ["Business Location", "Address"]},
    "representative": {"snake": ["representative", "ceo_name", "owner_name", "representative_name"],
                       "camel": ["ceoName", "representativeName", "ownerName"], "ko": ["대표자", "대표자명", "성명"],
                       "plain": ["Representative", "CEO", "Owner"]},
    "buyer_representative": {"snake": ["buyer_representative", "buyer_ceo"], "camel": ["buyerCeo", "buyerRepresentative"],
                             "ko": ["공급받는자 성명", "공급받는자 대표자"], "plain": ["Buyer Representative"]},
    "card_number": {"snake": ["card_number", "card_no", "masked_card"], "camel": ["cardNumber", "cardNo"],
                    "ko": ["카드번호"], "plain": ["Card Number"]},
    "company": {"snake": ["company_name", "trade_name", "business_name", "company"],
                "camel": ["companyName", "tradeName", "businessName"], "ko": ["상호", "상호명", "법인명", "회사명"],
                "plain": ["Company Name", "Trade Name"]},
    "open_date": {"snake": ["opening_date", "open_date", "business_start_date", "start_date"],
                  "camel": ["openingDate", "openDate", "startDate"], "ko": ["개업연월일", "개업일", "개업일자"],
                  "plain": ["Opening Date", "Date of Opening"]},
    "business_type": {"snake": ["business_type", "industry", "type_of_business"], "camel": ["businessType", "industry"],
                      "ko": ["업태"], "plain": ["Business Type", "Type of Business"]},
    "business_item": {"snake": ["business_item", "item", "business_category"], "camel": ["businessItem", "category"],
                      "ko": ["종목"], "plain": ["Business Item", "Item"]},
    "corp_number": {"snake": ["corporate_registration_number", "corp_reg_no"], "camel": ["corpRegNo"],
                    "ko": ["법인등록번호"], "plain": ["Corporate Registration Number"]},
}  # fmt: skip

# what a caller writes beside a name in a JSON request: (English, Korean)
DESCRIPTIONS = {
    "total": ("total amount to pay, VAT included", "부가세 포함 총 금액"), "subtotal": ("amount before tax", "공급가액"),
    "tax": ("VAT / tax amount", "부가세 금액"), "date": ("date the document was issued", "발행 날짜"),
    "due_date": ("payment due date", "지급 기한"), "doc_number": ("document number", "문서 번호"),
    "approval_number": ("approval number", "승인 번호"), "vendor": ("who issued it (seller)", "판매자 상호"),
    "buyer": ("who it is billed to", "구매자 상호"), "biz_number": ("seller's business registration no.", "공급자 사업자번호"),
    "buyer_biz_number": ("buyer's business registration no.", "공급받는자 사업자번호"),
    "phone": ("seller phone number", "판매자 전화번호"), "email": ("contact e-mail", "연락 이메일"),
    "address": ("seller address", "사업장 주소"), "representative": ("name of the CEO / owner", "대표자 이름"),
    "buyer_representative": ("buyer's representative", "공급받는자 대표자"), "card_number": ("card used (masked)", "카드번호"),
    "company": ("registered company name", "상호(법인명)"), "open_date": ("date the business opened", "개업 날짜"),
    "business_type": ("type of business", "업태"), "business_item": ("business item / category", "종목"),
    "corp_number": ("corporate registration number", "법인등록번호"),
}  # fmt: skip


def names_for(concept: str, kind: str) -> dict[str, list[str]]:
    return NAMES.get(f"{concept}/{kind}") or NAMES[concept]


def choose_names(r: random.Random, concepts: list[str], kind: str, lang: str) -> dict[str, str]:
    """concept -> the caller's name: mostly one style per request, now and then a name in another."""
    weights = [0.35, 0.2, 0.3 if lang == "ko" else 0.1, 0.15 if lang == "ko" else 0.35]
    style = r.choices(STYLES, weights)[0]
    out: dict[str, str] = {}
    taken: set[str] = set()
    for c in concepts:
        table = names_for(c, kind)
        s = style if r.random() < 0.85 else r.choice(STYLES)
        options = [n for n in table[s] if n.lower() not in taken] or [
            n for st in STYLES for n in table[st] if n.lower() not in taken
        ]
        name = r.choice(options) if options else f"{c}_{len(out)}"
        out[c] = name
        taken.add(name.lower())
    return out


def fields_string(r: random.Random, names: dict[str, str], lang: str) -> str:
    """The ``fields`` form value: a comma list (sometimes with spaces) or, one time in four, a JSON object."""
    if r.random() < 0.25:
        ko = lang == "ko" and r.random() < 0.6
        return json.dumps({n: DESCRIPTIONS[c][1 if ko else 0] for c, n in names.items()}, ensure_ascii=False)
    return (", " if r.random() < 0.6 else ",").join(names.values())


def parse_fields(fields: str) -> list[str]:
    """The names in a ``fields`` value (JSON object/array or comma list), as the evaluation reads them."""
    text = fields.strip()
    if text.startswith(("{", "[")):
        data = json.loads(text)
        return list(data) if isinstance(data, dict) else [str(x) for x in data]
    return [p.strip() for p in text.split(",") if p.strip()]
