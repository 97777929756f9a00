import { PageQueryDto } from '../../../common/dto/page-query.dto';

/** Failed deliveries are listed most recently failed first. */
export class FailedWebhooksQueryDto extends PageQueryDto {}
