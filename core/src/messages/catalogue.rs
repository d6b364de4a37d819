//! The zh-CN and English texts of every message code, and the terms (roles, fields, statuses,
//! coded values) that texts show by name. One table, so a code cannot have a Chinese text
//! without an English one; `tests` check that both name the same parameters.
//!
//! Codes are stable: apps and other systems match on them. Change a text freely; never reuse a
//! code for another meaning.

use super::Lang;

/// (code, zh-CN, English), one line each so the table reads as a table.
#[rustfmt::skip]
pub const ENTRIES: &[(&str, &str, &str)] = &[
    // A plain text kept from before messages had codes.
    ("text", "{text}", "{text}"),
    // ID numbers (GB 11643). `masked` is the number with its middle hidden.
    ("id_number.length", "身份证号码 {masked} 有 {count} 位，应为 18 位", "ID number {masked} has {count} characters; an ID number has 18"),
    ("id_number.bad_character", "身份证号码 {masked} 的第 {position} 位不是数字", "character {position} of ID number {masked} is not a digit"),
    ("id_number.bad_birth_date", "身份证号码 {masked} 中的出生日期不存在", "ID number {masked} holds a birth date that does not exist"),
    ("id_number.future_birth_date", "身份证号码 {masked} 中的出生日期在未来", "ID number {masked} holds a birth date in the future"),
    ("id_number.not_canonical", "身份证号码 {masked} 未按标准格式书写（18 位，末位大写 X）", "ID number {masked} is not in canonical form (18 characters, upper-case X)"),
    ("id_number.check_digit", "身份证号码 {masked} 校验位错误：应为 {expected}，实际为 {actual}", "ID number {masked}: the check digit is {actual} but should be {expected}"),
    // Phones.
    ("phone.bad_character", "电话号码 {masked} 含有不属于电话号码的字符“{character}”", "phone number {masked} contains {character}, which is not part of a phone number"),
    ("phone.length", "电话号码 {masked} 有 {count} 位数字，电话号码应为 7 到 13 位", "phone number {masked} has {count} digits; phone numbers have 7 to 13"),
    ("phone.not_canonical", "电话号码 {masked} 未按标准格式书写（只含数字）", "phone number {masked} is not written as its digits alone"),
    // Typed text.
    ("text.not_canonical", "{field:field}含有不可见字符或全角字符，请重新输入", "{field:field} holds invisible or full-width characters; type it again"),
    // Household rules.
    ("field.required", "{field:field}不能为空", "{field:field} is required"),
    ("rules.not_permitted", "{role:role}无权修改{field:field}", "a {role:role} may not change {field:field}"),
    ("household.visit_rewritten", "走访记录不能修改或删除，只能新增（走访 {visit_id}）", "visit {visit_id} was changed or removed; visits can only be added"),
    ("household.review_rewritten", "复核记录不能修改或删除，只能新增（复核 {review_id}）", "review {review_id} was changed or removed; reviews can only be added"),
    ("household.resident_removed", "居民不能删除，请标记为已迁出", "a resident was removed; mark them as moved out instead"),
    ("household.visit_not_own", "走访只能以本人名义记录", "a visit can only be recorded in one's own name"),
    ("household.review_not_own", "复核只能以本人名义进行", "a review can only be made in one's own name"),
    ("household.no_such_visit", "该户没有这条走访记录", "the household has no such visit"),
    ("household.time_out_of_range", "{what:what}的时间不在 2000 至 2099 年之间", "the time of the {what:what} is outside the years 2000 to 2099"),
    ("household.dated_ahead", "{what:what}的时间 {at} 比手机时间晚一天以上，请检查手机时间", "the {what:what} is dated {at}, more than a day after the phone's clock; check the phone's time"),
    ("record.bad_id", "记录编号格式不正确", "the record id is not one Gridwalk issues"),
    // Places (rules::places): what a record names must agree with the reference data.
    ("place.unknown", "{level:address_part} {code} 不存在", "there is no {level:address_part} {code}"),
    ("place.not_in", "{level:address_part} {code} 不属于{parent_level:address_part} {parent}", "{level:address_part} {code} is not in {parent_level:address_part} {parent}"),
    ("place.report_outside_grids", "只能在自己负责的网格上报事件（网格 {grid}）", "a report can only be filed in one's own grids (grid {grid})"),
    ("order.wrong_company", "小区 {compound} 由物业公司 {serving} 服务，整改单不能下发给 {company}", "compound {compound} is served by company {serving}; the order cannot go to {company}"),
    ("record.foreign_author", "记录中含有另一台设备（{author}）所做的修改，本设备不能上传", "the record holds changes made on another device ({author}), which this device may not upload"),
    ("record.daily_budget", "今天对这条记录的修改过多（{ops} 项操作，每人每天最多 {max} 项），请明天再同步", "too many changes to this record today ({ops} operations; at most {max} per person a day); sync again tomorrow"),
    ("household.visit_id_reused", "走访记录编号重复", "a visit id is used twice"),
    ("household.review_id_reused", "复核记录编号重复", "a review id is used twice"),
    ("record.wrong_kind", "记录类型不符：需要{expected:kind}，实际是{found:kind}", "the record is a {found:kind}, not a {expected:kind}"),
    ("record.unknown_resident", "该户没有这位居民", "the household has no such resident"),
    ("record.unknown_field", "“{path}”不是住户的字段", "{path} is not a field of a household"),
    ("record.unknown_key", "记录含有本版本未定义的字段“{key}”", "the record holds {key}, which no known layout defines"),
    ("record.too_many_ops", "记录含有 {ops} 项操作，超过上限 {max} 项", "the record holds {ops} operations, more than the {max} allowed"),
    ("record.too_many_changes", "记录含有 {changes} 次修改，超过上限 {max} 次", "the record holds {changes} changes, more than the {max} allowed"),
    ("record.too_large", "记录有 {bytes} 字节，超过上限 {max} 字节", "the record takes {bytes} bytes, more than the {max} allowed"),
    ("record.list_too_long", "“{field}”有 {len} 项，超过上限 {max} 项", "{field} has {len} entries, more than the {max} allowed"),
    ("record.text_too_long", "“{field}”有 {chars} 个字符，超过上限 {max} 个", "{field} has {chars} characters, more than the {max} allowed"),
    // Event logs (orders and reports).
    ("event.rewritten", "处理记录只能追加，不能修改或删除", "an event was changed or removed; the log is append-only"),
    ("event.id_reused", "处理记录编号重复", "an event id is used twice"),
    ("event.seen_from_future", "处理记录声称已看到 {seen} 条记录，但它之前只有 {place} 条", "an event claims to have seen {seen} events, but only {place} come before it"),
    ("event.not_signed", "处理记录不是以提交人本人名义签署的", "an event is not signed by the one who sent it"),
    // Orders.
    ("order.names_no_item", "{event:event}需要指明整改项", "{event:event} names no item"),
    ("order.no_such_item", "整改单没有整改项 {item}", "the order has no item {item}"),
    ("order.inspector_only", "只有督查员可以{event:event}整改单", "only an inspector may {event:event} an order"),
    ("order.company_only", "只有被整改的物业公司可以{event:event}整改单", "only the addressed company may {event:event} an order"),
    ("order.answer_needs_photo", "回复需要至少一张整改后照片", "an answer needs at least one after-photo"),
    ("order.reopen_needs_note", "退回需要指明整改项并说明问题", "reopening names the items and says what is wrong"),
    ("order.not_an_event", "“{event}”不是整改单的操作", "{event} is not an order event"),
    ("order.already", "整改单已经是“{status:order_status}”状态", "the order is already {status:order_status}"),
    ("order.needs_items", "整改单至少需要一个整改项", "an order needs at least one item"),
    ("order.cannot_in_status", "“{status:order_status}”状态的整改单不能{event:event}", "an order that is {status:order_status} cannot be {event:event_done}"),
    ("order.acknowledge_first", "请先签收整改单再回复", "acknowledge the order before answering it"),
    ("order.item_already_answered", "整改项 {item} 已经回复", "item {item} is already answered"),
    ("order.not_all_answered", "所有整改项回复后才能验收", "every item must be answered before the order is verified"),
    ("order.item_not_answered", "整改项 {item} 尚未回复，不能退回", "item {item} is not answered, so it cannot be reopened"),
    ("order.not_own", "整改单只能以本人名义起草", "an order is drafted in its sender's own name"),
    ("order.fixed_fields", "整改单起草后，整改项、小区、物业公司、期限、下发人、创建时间和来源事件不能修改", "an order's items, compound, company, deadline, issuer, creation time and source report are fixed once drafted"),
    // Reports.
    ("report.needs_note", "{event:event}需要说明问题", "{event:event} says what is wrong"),
    ("report.needs_assignee", "分派需要指定处理人", "assigning names the assignee"),
    ("report.supervisor_only", "只有督导人员可以{event:event}事件", "only a supervisor may {event:event} a report"),
    ("report.escalate_role", "只有督查员或督导人员可以将事件转为整改单", "only an inspector or a supervisor escalates a report"),
    ("report.escalate_needs_order", "转整改单需要指明整改单", "escalating names the order"),
    ("report.not_an_event", "“{event}”不是事件的操作", "{event} is not a report event"),
    ("report.cannot_in_status", "“{status:report_status}”状态的事件不能{event:event}", "a report that is {status:report_status} cannot be {event:event_done}"),
    ("report.send_back_reopen_instead", "“{status:report_status}”状态的事件不能退回，请改为重新打开", "a report that is {status:report_status} cannot be sent back; reopen it instead"),
    ("report.assignee_only", "只有处理人可以{event:event}该事件", "only the assignee may {event:event} the report"),
    ("report.send_back_no_assignee", "事件尚未分派，无法退回，请先分派", "the report has no assignee to send it back to; assign it first"),
    ("report.company_cannot_file", "物业公司人员不能上报事件", "property-company staff do not file issue reports"),
    ("report.not_own", "事件只能以本人名义上报", "a report is filed in its sender's own name"),
    ("report.fixed_fields", "事件上报后，类别、描述、位置和照片不能修改", "a report's category, description, place and photos are fixed once filed"),
    ("report.unknown_category", "事件类别“{category}”不存在", "there is no report category {category}"),
    // Photos.
    ("photo.unsupported_format", "不支持 {format} 格式的照片，请在手机上转换为 JPEG 后再试", "{format} photos are not supported; convert them to JPEG on the phone first"),
    ("photo.undecodable", "照片无法读取，文件可能已损坏，请重新拍摄", "the photo cannot be read; the file may be damaged, take it again"),
    ("photo.encoding", "照片无法保存，请重新拍摄", "the photo could not be saved; take it again"),
    ("photo.file", "照片文件无法读写", "the photo file could not be read or written"),
    ("photo.hash_mismatch", "照片传输中损坏，请重新同步", "the photo arrived damaged; sync again"),
    ("photo.empty", "照片文件是空的，请重新拍摄", "the photo file is empty; take the photo again"),
    ("photo.file_too_large", "照片文件太大（{megabytes} 兆，最多 {max_megabytes} 兆），请用手机相机重新拍摄", "the photo file is too large ({megabytes} MB, at most {max_megabytes} MB); take the photo again with the phone camera"),
    ("photo.not_an_image", "这个文件不是照片，请选择照片或用相机拍摄", "this file is not a photo; choose a photo or take one with the camera"),
    ("photo.no_pixels", "照片没有内容（{width}×{height} 像素），请重新拍摄", "the photo is empty ({width}×{height} pixels); take the photo again"),
    ("photo.too_large", "照片太长或太宽（{width}×{height} 像素，每边最多 {max_side} 像素），请用手机相机重新拍摄", "the photo is too long or too wide ({width}×{height} pixels; a side may have at most {max_side}); take the photo again with the phone camera"),
    ("photo.too_many_pixels", "照片太大（{width}×{height} 像素，约 {megapixels} 百万像素，最多 {max_megapixels} 百万像素），请用手机相机重新拍摄", "the photo is too large ({width}×{height} pixels, {megapixels} megapixels; at most {max_megapixels}); take the photo again with the phone camera"),
    ("photo.too_much_memory", "照片太大，手机内存不够打开它（{width}×{height} 像素），请用手机相机重新拍摄", "the photo is too large for the phone to open ({width}×{height} pixels); take the photo again with the phone camera"),
    ("photo.truncated", "照片文件不完整（可能没有传完或已损坏），请重新拍摄", "the photo file is incomplete (not fully copied, or damaged); take the photo again"),
    // The core's errors.
    ("error.not_found", "本机上没有这条{kind:kind}", "this {kind:kind} is not on this device"),
    ("error.corrupt_document", "这条记录无法读取，已保持原样", "this record cannot be read; it was left as it was"),
    ("error.invalid_changes", "收到的数据无法读取", "the changes received cannot be read"),
    ("error.network", "无法连接服务器，数据已保存在本机，有网络时再同步", "cannot reach the server; everything is kept on this device, sync again when the network is back"),
    ("error.unauthorized", "登录已失效，请重新登录", "you are not signed in, or your session expired; sign in again"),
    ("error.too_many_attempts", "登录失败次数过多，请 {seconds} 秒后再试", "too many failed sign-ins; try again in {seconds} s"),
    ("error.server", "服务器拒绝了请求（{status}）：{message}", "the server refused the request ({status}): {message}"),
    ("error.storage", "本机存储出错（{context}），最近一次保存的数据仍在", "local storage failed ({context}); the last saved data is still there"),
    // The ledger (台账).
    ("ledger.address_missing", "地址缺少{field:address_part}", "the address has no {field:address_part}"),
    ("ledger.outside_area", "网格 {grid} 不在您的管辖范围内", "grid {grid} is outside your area"),
    ("ledger.duplicate_in_file", "与第 {line} 行是同一人（{masked}）", "the same person as line {line} ({masked})"),
    ("ledger.unreadable", "文件无法作为 {format} 台账读取，请检查文件格式", "the file could not be read as a {format} ledger; check its format"),
    ("ledger.missing_column", "台账缺少“{column:column}”列", "the ledger has no {column:column} column"),
    ("address_part.community", "社区", "community"),
    ("address_part.grid", "网格", "grid"),
    ("address_part.compound", "小区", "compound"),
    ("address_part.building", "楼栋", "building"),
    ("address_part.unit", "单元", "unit"),
    ("address_part.room", "房号", "room"),
    ("column.community", "社区", "community"),
    ("column.grid", "网格", "grid"),
    ("column.compound", "小区", "compound"),
    ("column.building", "楼栋", "building"),
    ("column.unit", "单元", "unit"),
    ("column.room", "房号", "room"),
    ("column.house_use", "房屋用途", "house use"),
    ("column.name", "姓名", "name"),
    ("column.id_number", "身份证号码", "ID number"),
    ("column.phone", "联系电话", "phone"),
    ("column.relation", "与户主关系", "relation to the head"),
    ("column.registration", "户籍类型", "registration"),
    ("column.tags", "特殊人群", "special groups"),
    ("column.visit_purpose", "走访目的", "visit purpose"),
    ("ledger.unknown_value", "{column:column}“{value}”无法识别，可填：{allowed}", "{column:column} “{value}” is not a known value; allowed: {allowed}"),
    ("ledger.column_not_found", "未找到“{column:column}”列：居民的{column:column}不会导入，也不会更改", "no {column:column} column was found: residents' {column:column} is neither imported nor changed"),
    ("ledger.too_many_rows", "台账超过 {max} 行，请分成几个文件导入", "the ledger has more than {max} rows; split it into several files"),
    ("ledger.digits_lost", "表格把身份证号码存成了数字，末几位已丢失（{masked}）：请把该列设为文本格式后重新输入", "the spreadsheet destroyed this ID number ({masked}): format the column as text and retype it"),
    ("ledger.phone_digits_lost", "表格把电话号码存成了数字，开头的 0 或末几位已丢失（{masked}）：请把该列设为文本格式后重新输入", "the spreadsheet stored this phone number as a number and lost digits ({masked}): format the column as text and retype it"),
    ("ledger.became_date", "表格把{column:column}改成了日期（{value}）：请把该列设为文本格式后重新输入", "the spreadsheet turned the {column:column} into a date ({value}): format the column as text and retype it"),
    ("ledger.registered_elsewhere", "已在您的管辖范围外登记（{masked}），请与上级核实", "already registered elsewhere ({masked}); check with your superiors"),
    ("ledger.create_outside_area", "{level:address_part}“{name}”不存在，只有管理员可以新建", "there is no {level:address_part} “{name}”; only an administrator can create one"),
    ("ledger.same_id_elsewhere", "与第 {line} 行的身份证号码相同，但在另一户（{masked}），将列入待核实", "the same ID number as line {line} but in another household ({masked}); it becomes a finding to check"),
    ("ledger.rows_shown", "仅列出前 {shown} 行，共 {total} 行；全部问题行见下载文件", "only the first {shown} of {total} rows are listed; every bad row is in the download"),
    ("ledger.to_check", "{problem:msg}，导入后列入待核实", "{problem:msg}; imported, to be checked at the door"),
    // Sync.
    ("sync.out_of_scope", "这条记录不在您的网格内，请联系督导人员", "this record is not in your grids; ask your supervisor"),
    ("sync.missing_dependencies", "服务器缺少这条记录之前的修改，应用将整条重新发送", "the server lacks earlier changes of this record; the app sends it whole"),
    ("sync.bad_changes", "这条记录的数据无法合并，服务器未接收", "this record's data could not be merged; the server did not take it"),
    ("sync.photo_refused", "服务器拒收这张照片", "the server refused this photo"),
    ("sync.photo_missing", "照片文件已不在手机上", "the photo file is gone from this phone"),
    ("sync.log_changed", "服务器数据已恢复或更换，手机正在重新下载，并将补传服务器缺少的内容", "the server's data was restored or replaced; the phone is downloading it again and will re-send what the server lacks"),
    ("sync.server_went_back", "服务器数据已回退（从备份恢复），手机正在重新下载，并将补传服务器缺少的内容", "the server went back in time (restored from a backup); the phone is downloading again and will re-send what the server lacks"),
    ("sync.clock_off", "手机时间与服务器相差约 {minutes} 分钟，请校准手机时间", "the phone's clock is off by about {minutes} minutes; please correct it"),
    // The supervisors' pages.
    ("web.outside_area", "这不在您的管辖范围内", "this is outside your area"),
    ("web.supervisors_only", "这些页面仅供督导人员使用", "these pages are for supervisors"),
    ("web.no_such_record", "未找到这条记录（{id}）", "there is no such record ({id})"),
    ("web.no_such_file", "未找到文件 {file}", "there is no file {file}"),
    ("web.upload_failed", "上传失败，请重试", "the upload failed; try again"),
    ("web.choose_ledger_file", "请选择 CSV 或 XLSX 格式的台账文件", "choose a CSV or XLSX file"),
    ("web.preview_expired", "预览已过期，请重新上传文件", "this preview has expired; upload the file again"),
    ("web.photo_not_uploaded", "照片尚未上传", "the photo is not uploaded yet"),
    ("web.wrong_password", "用户名或密码错误", "wrong user name or password"),
    ("web.sign_in_failed", "登录失败，请稍后再试", "signing in failed; try again later"),
    ("web.form_expired", "表单已失效或不是本网站的表单，请刷新页面后重试", "this form has expired or did not come from this site; reload the page and try again"),
    ("web.cross_site", "已拒绝来自其他网站的请求", "a request from another site was refused"),
    // Findings.
    ("finding.bad_id_number", "{name}：{problem:msg}", "{name}: {problem:msg}"),
    ("finding.not_a_mobile_number", "{name}：{masked} 不是手机号码", "{name}: {masked} is not a mobile number"),
    ("finding.conflicting_edits", "{field:field}：离线修改冲突（{a:@terms} | {b:@terms}{rest}）", "{field:field}: conflicting offline edits ({a:@terms} | {b:@terms}{rest})"),
    ("finding.conflicting_resident_edits", "{name}的{field:field}：离线修改冲突（{a:@terms} | {b:@terms}{rest}）", "{field:field} of {name}: conflicting offline edits ({a:@terms} | {b:@terms}{rest})"),
    ("finding.elderly_alone_not_visited", "{name}：独居老人超过 30 天未走访", "{name}: elderly and living alone, not visited for 30 days"),
    ("finding.no_recent_visit", "{address}：超过 180 天未走访", "{address}: no visit for 180 days"),
    ("finding.duplicate_id_number", "{name}：身份证号码 {masked} 在 {households} 户中登记", "{name}: ID number {masked} is registered in {households} households"),
    ("finding.dated_in_future", "{what:what}的时间 {at} 在未来，请检查记录手机的时间", "the {what:what} is dated {at}, in the future: check the phone's clock"),
    // Terms: roles.
    ("role.grid_worker", "网格员", "grid worker"),
    ("role.inspector", "物业督查员", "inspector"),
    ("role.company_staff", "物业公司人员", "property-company staff member"),
    ("role.supervisor", "督导人员", "supervisor"),
    ("role.admin", "管理员", "administrator"),
    // Terms: fields.
    ("field.new_household", "新建住户", "households (creating one)"),
    ("field.address", "住户地址", "a household's address"),
    ("field.house_use", "房屋用途", "a household's house use"),
    ("field.notes", "住户备注", "a household's notes"),
    ("field.new_resident", "新增居民", "residents (adding one)"),
    ("field.resident_name", "居民姓名", "a resident's name"),
    ("field.resident_id_number", "居民身份证号码", "a resident's ID number"),
    ("field.resident_phone", "居民电话", "a resident's phone"),
    ("field.resident_relation", "与户主关系", "a resident's relation to the head"),
    ("field.resident_registration", "户籍类型", "a resident's registration type"),
    ("field.resident_tags", "特殊人群标记", "a resident's special-group tags"),
    ("field.resident_moved_out", "迁出标记", "whether a resident moved out"),
    ("field.new_visit", "走访记录", "visits (recording one)"),
    ("field.review", "走访复核", "reviews (sending a visit back)"),
    ("field.review_comment", "复核意见", "the review comment"),
    ("field.address_community", "地址中的社区", "the address's community"),
    ("field.address_grid", "地址中的网格", "the address's grid"),
    ("field.address_compound", "地址中的小区", "the address's compound"),
    ("field.address_building", "地址中的楼栋", "the address's building"),
    ("field.address_unit", "地址中的单元", "the address's unit"),
    ("field.address_room", "地址中的房号", "the address's room"),
    ("field.report", "事件类别、描述和网格", "the report's category, description and grid"),
    // Terms: coded values of households and residents.
    ("house_use.owner_occupied", "自住", "owner-occupied"),
    ("house_use.rented", "出租", "rented"),
    ("house_use.vacant", "空置", "vacant"),
    ("house_use.business", "经营", "business"),
    ("relation.head", "户主", "head"),
    ("relation.spouse", "配偶", "spouse"),
    ("relation.child", "子女", "child"),
    ("relation.parent", "父母", "parent"),
    ("relation.grandchild", "孙辈", "grandchild"),
    ("relation.tenant", "租户", "tenant"),
    ("relation.relative", "其他亲属", "relative"),
    ("registration.local", "户籍", "registered here"),
    ("registration.migrant", "流动", "migrant"),
    ("registration.foreign", "境外", "foreign"),
    ("special_group.elderly_alone", "独居老人", "elderly living alone"),
    ("special_group.disabled", "残疾人", "disabled"),
    ("special_group.low_income", "低保户", "low-income support"),
    ("special_group.veteran", "退役军人", "veteran"),
    ("special_group.left_behind_child", "留守儿童", "left-behind child"),
    ("moved_out.true", "已迁出", "moved out"),
    ("moved_out.false", "未迁出", "living here"),
    // Terms: record kinds.
    ("kind.household", "住户", "household"),
    ("kind.order", "整改单", "rectification order"),
    ("kind.report", "事件", "issue report"),
    ("kind.resident", "居民", "resident"),
    ("kind.photo", "照片", "photo"),
    ("kind.none", "无类型记录", "document with no kind"),
    // Terms: what a time belongs to.
    ("what.visit", "走访", "visit"),
    ("what.review", "复核", "review"),
    ("what.event", "处理记录", "event"),
    ("what.order", "整改单", "order"),
    ("what.report", "事件", "report"),
    // Terms: events (as a verb, and as a past participle in English).
    ("event.issue", "下发", "issue"),
    ("event.acknowledge", "签收", "acknowledge"),
    ("event.answer", "回复", "answer"),
    ("event.verify", "验收", "verify"),
    ("event.reopen", "退回", "reopen"),
    ("event.cancel", "撤销", "cancel"),
    ("event.assign", "分派", "assign"),
    ("event.start", "开始处理", "start"),
    ("event.resolve", "办结", "resolve"),
    ("event.close", "关闭", "close"),
    ("event.send_back", "退回", "send back"),
    ("event.escalate", "转整改单", "escalate"),
    ("event_done.issue", "下发", "issued"),
    ("event_done.acknowledge", "签收", "acknowledged"),
    ("event_done.answer", "回复", "answered"),
    ("event_done.verify", "验收", "verified"),
    ("event_done.reopen", "退回", "reopened"),
    ("event_done.cancel", "撤销", "cancelled"),
    ("event_done.assign", "分派", "assigned"),
    ("event_done.start", "开始处理", "started"),
    ("event_done.resolve", "办结", "resolved"),
    ("event_done.close", "关闭", "closed"),
    ("event_done.send_back", "退回", "sent back"),
    ("event_done.escalate", "转整改单", "escalated"),
    // Terms: statuses.
    ("order_status.draft", "草稿", "draft"),
    ("order_status.issued", "已下发", "issued"),
    ("order_status.acknowledged", "已签收", "acknowledged"),
    ("order_status.answered", "已回复", "answered"),
    ("order_status.verified", "已验收", "verified"),
    ("order_status.reopened", "已退回", "reopened"),
    ("order_status.cancelled", "已撤销", "cancelled"),
    ("report_status.reported", "已上报", "reported"),
    ("report_status.assigned", "已分派", "assigned"),
    ("report_status.in_progress", "处理中", "in progress"),
    ("report_status.resolved", "已办结", "resolved"),
    ("report_status.closed", "已关闭", "closed"),
    ("report_status.reopened", "已退回", "reopened"),
    ("report_status.escalated", "已转整改单", "escalated"),
];

/// The text of `code` in `lang`, if the catalogue has it.
pub fn text(code: &str, lang: Lang) -> Option<&'static str> {
    ENTRIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| match lang {
            Lang::ZhCn => *zh,
            Lang::En => *en,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::placeholders;

    #[test]
    fn codes_are_unique_and_both_languages_name_the_same_parameters() {
        let mut seen = std::collections::HashSet::new();
        for (code, zh, en) in ENTRIES {
            assert!(seen.insert(*code), "{code} twice");
            assert_eq!(placeholders(zh), placeholders(en), "{code}");
            assert!(!zh.is_empty() && !en.is_empty(), "{code}");
        }
    }

    #[test]
    fn chinese_texts_carry_no_english_words() {
        for (code, zh, _) in ENTRIES {
            let mut without_placeholders = String::new();
            let mut depth = 0;
            for c in zh.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ if depth == 0 => without_placeholders.push(c),
                    _ => {}
                }
            }
            // Formats and letters a reader types (JPEG, X) are allowed; English words are not.
            let words: Vec<&str> = without_placeholders
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() > 1 && !["JPEG", "HEIC", "AVIF", "CSV", "XLSX"].contains(w))
                .collect();
            assert!(words.is_empty(), "{code}: {words:?}");
        }
    }
}
